// Generated corpora shared by the comparisons (maimo-bench's zstd and engine suites).

/// SplitMix64: reproducible benchmark data (not for secrets).
public struct Generator: RandomNumberGenerator {
    public init(state: UInt64) { self.state = state }
    public var state: UInt64
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

public let words = ("the of and to in is was for on that with as by at from this be are or an it not which have has "
    + "storage verify retrieve remote provider onion block frame window literal sequence offset match").split(separator: " ").map(String.init)

/// Generated content of one kind: 0 prose, 1 JSON lines, 2 binary records, 3 noise (standing for
/// already-compressed media).
public func piece(_ kind: Int, _ count: Int, _ g: inout Generator) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(count + 200)
    switch kind {
    case 0:
        while out.count < count {
            let sentence = (0..<Int.random(in: 6...14, using: &g)).map { _ in words.randomElement(using: &g)! }.joined(separator: " ")
            out += Array((sentence.prefix(1).uppercased() + sentence.dropFirst() + ".\n").utf8)
        }
    case 1:
        var id = Int.random(in: 0...1_000_000, using: &g)
        while out.count < count {
            id += 1
            let line = "{\"id\": \(id), \"user\": \"user\(Int.random(in: 1...500, using: &g))\", \"path\": \"/home/\(words.randomElement(using: &g)!)/\(words.randomElement(using: &g)!)\", \"size\": \(Int.random(in: 0...(1 << 30), using: &g)), \"ok\": \(Int.random(in: 0..<10, using: &g) < 9)}\n"
            out += Array(line.utf8)
        }
    case 2:
        var time: UInt32 = 0
        while out.count < count {
            time &+= UInt32.random(in: 1...50, using: &g)
            withUnsafeBytes(of: time) { out += $0 }
            withUnsafeBytes(of: UInt16.random(in: 0...7, using: &g)) { out += $0 }
            withUnsafeBytes(of: Int16.random(in: -300...300, using: &g)) { out += $0 }
            withUnsafeBytes(of: UInt16.random(in: 0...1000, using: &g)) { out += $0 }
        }
    default:
        while out.count < count { withUnsafeBytes(of: g.next()) { out += $0 } }
    }
    return Array(out.prefix(count))
}
