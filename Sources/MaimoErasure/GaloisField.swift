/// Arithmetic in GF(2⁸) with the polynomial x⁸ + x⁴ + x³ + x² + 1 (0x11D), the field of ISA-L,
/// zfec and most Reed–Solomon coders. Addition is XOR; multiplication goes through log and
/// exponent tables (2 generates the multiplicative group).
public enum GaloisField {
    /// The reducing polynomial's low byte: x·a for a with the top bit set is (a << 1) ^ 0x1D.
    public static let polynomial: UInt8 = 0x1D

    /// exp[i] = 2ⁱ for i in 0..<510 (doubled, so that exp[log a + log b] needs no reduction).
    static let exp: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 510)
        var value: UInt8 = 1
        for i in 0..<255 {
            table[i] = value
            table[i + 255] = value
            value = times2(value)
        }
        return table
    }()

    /// log[a] for a ≠ 0 (log[0] is unused).
    static let log: [Int] = {
        var table = [Int](repeating: 0, count: 256)
        for i in 0..<255 { table[Int(exp[i])] = i }
        return table
    }()

    @inline(__always)
    static func times2(_ a: UInt8) -> UInt8 {
        (a &<< 1) ^ (a & 0x80 == 0 ? 0 : polynomial)
    }

    /// a · b.
    public static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        guard a != 0, b != 0 else { return 0 }
        return exp[log[Int(a)] + log[Int(b)]]
    }

    /// The multiplicative inverse of a (a ≠ 0).
    public static func inverse(_ a: UInt8) -> UInt8 {
        precondition(a != 0, "0 has no inverse in GF(2^8)")
        return exp[255 - log[Int(a)]]
    }
}
