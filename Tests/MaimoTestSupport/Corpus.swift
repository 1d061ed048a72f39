/// Generated data of the kinds a backup meets, for compression tests: prose, JSON records,
/// binary tables, noise (already-compressed data) and long runs. Deterministic for a seed.
public enum Corpus {
    public enum Kind: String, CaseIterable, Sendable {
        case text, json, binary, noise, runs, mixed
    }

    static let words = ("the of and to in is was for on that with as by at from this be are or an it not "
        + "which have has but were their they one all been more when will would there can storage verify "
        + "retrieve remote provider onion block frame window literal sequence offset match dictionary "
        + "entropy huffman table state stream checksum content").split(separator: " ").map { Array($0.utf8) }

    public static func make<G: RandomNumberGenerator>(_ kind: Kind, count: Int, using generator: inout G) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count + 256)
        switch kind {
        case .text:
            while out.count < count {
                let length = Int.random(in: 6...14, using: &generator)
                for i in 0..<length {
                    var word = words.randomElement(using: &generator)!
                    if i == 0 { word[0] = word[0] &- 32 }
                    out += word
                    out.append(i == length - 1 ? UInt8(ascii: ".") : UInt8(ascii: " "))
                }
                out.append(UInt8(ascii: "\n"))
            }
        case .json:
            var id = 0
            while out.count < count {
                out += record(id, using: &generator)
                out.append(UInt8(ascii: "\n"))
                id += 1
            }
        case .binary:
            var time: UInt32 = 0
            while out.count < count {
                time &+= UInt32.random(in: 1...50, using: &generator)
                withUnsafeBytes(of: time.littleEndian) { out += $0 }
                withUnsafeBytes(of: UInt16.random(in: 0...7, using: &generator).littleEndian) { out += $0 }
                withUnsafeBytes(of: Int16.random(in: -300...300, using: &generator).littleEndian) { out += $0 }
                withUnsafeBytes(of: UInt16.random(in: 0...1000, using: &generator).littleEndian) { out += $0 }
            }
        case .noise:
            out = randomBytes(count, using: &generator)
        case .runs:
            while out.count < count {
                let byte = [0, 0, 0, 255, 32].randomElement(using: &generator)! as UInt8
                out += repeatElement(byte, count: Int.random(in: 1...5000, using: &generator))
            }
        case .mixed:
            let kinds: [Kind] = [.text, .json, .binary, .noise, .runs]
            while out.count < count {
                let piece = Int.random(in: 1000...60_000, using: &generator)
                out += make(kinds.randomElement(using: &generator)!, count: piece, using: &generator)
            }
        }
        return Array(out.prefix(count))
    }

    /// One JSON record like a file catalogue's.
    public static func record<G: RandomNumberGenerator>(_ id: Int, using generator: inout G) -> [UInt8] {
        func word() -> String { String(decoding: words.randomElement(using: &generator)!, as: UTF8.self) }
        let tags = (0..<Int.random(in: 0...4, using: &generator)).map { _ in "\"\(word())\"" }.joined(separator: ", ")
        let text = "{\"id\": \(id), \"user\": \"user\(Int.random(in: 1...500, using: &generator))\", "
            + "\"path\": \"/home/\(word())/\(word())/\(word())\", \"size\": \(Int.random(in: 0...(1 << 30), using: &generator)), "
            + "\"mtime\": \(1_700_000_000 + Int.random(in: 0...10_000_000, using: &generator)), \"tags\": [\(tags)], "
            + "\"ok\": \(Int.random(in: 0..<10, using: &generator) < 9)}"
        return Array(text.utf8)
    }
}
