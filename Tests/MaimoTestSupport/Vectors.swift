import Foundation

// Shared by every module's tests: vector files, hex, and seeded random inputs.

/// Locates `NAME.json`: in `$MAIMO_VECTORS` when set, else in the repository's own copy,
/// `Tests/Vectors/` (see its README for where each file came from), so a plain clone tests green.
public enum Vectors {
    public static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["MAIMO_VECTORS"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return testsFolder.appendingPathComponent("Vectors", isDirectory: true)
    }

    public static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        let url = directory.appendingPathComponent("\(name).json")
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }
}

public func bytes(fromHex hex: String) -> [UInt8] {
    var out = [UInt8]()
    var iterator = hex.utf8.makeIterator()
    while let high = iterator.next(), let low = iterator.next() {
        out.append(UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)!)
    }
    return out
}

/// The official vectors' input: 0, 1, …, 250, 0, 1, … of the given length.
public func vectorInput(_ length: Int) -> [UInt8] {
    (0..<length).map { UInt8($0 % 251) }
}

/// A small, seedable generator (SplitMix64) so that random tests can print and replay their seed.
public struct SeededGenerator: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A seed from `MAIMO_SEED` when set, else a fresh one; printed so a failure can be replayed.
    public static func fromEnvironment(_ test: String) -> SeededGenerator {
        let seed = ProcessInfo.processInfo.environment["MAIMO_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 0...UInt64.max)
        print("\(test): seed \(seed) (replay with MAIMO_SEED=\(seed))")
        return SeededGenerator(seed: seed)
    }
}

public func randomBytes<G: RandomNumberGenerator>(_ count: Int, using generator: inout G) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        var word = generator.next()
        for _ in 0..<8 where i < count {
            out[i] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            i += 1
        }
    }
    return out
}
