/// Random bytes from the system's cryptographically secure generator, eight per draw (one
/// `getrandom` call per eight bytes rather than per byte).
public enum SecureRandom {
    /// `count` bytes from the system's cryptographically secure generator.
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(count + 8)
        while bytes.count < count { withUnsafeBytes(of: generator.next() as UInt64) { bytes += $0 } }
        return Array(bytes.prefix(count))
    }
}
