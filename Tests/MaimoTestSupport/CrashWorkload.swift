/// The deterministic write sequence of the keystore crash tests: batch `index` of run `seed`
/// is the same in the child process that writes it and in the test that checks it.
public enum CrashWorkload {
    /// One operation: a put of `value`, or a delete when `value` is nil.
    public struct Operation: Sendable {
        public var key: [UInt8]
        public var value: [UInt8]?
    }

    public static let keyCount = 48

    public static func batch(seed: UInt64, index: Int) -> [Operation] {
        var generator = SeededGenerator(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
        let count = Int.random(in: 1...4, using: &generator)
        return (0..<count).map { _ in
            let key = Array("k\(Int.random(in: 0..<keyCount, using: &generator))".utf8)
            if Int.random(in: 0..<4, using: &generator) == 0 { return Operation(key: key, value: nil) }
            let size: Int
            switch Int.random(in: 0..<100, using: &generator) {
            case 0..<80: size = Int.random(in: 0...200, using: &generator)
            case 80..<95: size = Int.random(in: 200...3000, using: &generator)
            default: size = Int.random(in: 3000...40000, using: &generator)
            }
            return Operation(key: key, value: randomBytes(size, using: &generator))
        }
    }

    /// Applies batch `index` to a model dictionary.
    public static func apply(seed: UInt64, index: Int, to model: inout [[UInt8]: [UInt8]]) {
        for operation in batch(seed: seed, index: index) { model[operation.key] = operation.value }
    }
}
