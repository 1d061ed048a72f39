/// CRC-32C (Castagnoli), the page checksum (`Docs/Index.md`). Slicing by 8 bytes per step.
public enum CRC32C {
    static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var crc = UInt32(i)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            tables[0][i] = crc
        }
        for t in 1..<8 {
            for i in 0..<256 { tables[t][i] = (tables[t - 1][i] >> 8) ^ tables[0][Int(tables[t - 1][i] & 0xFF)] }
        }
        return tables
    }()

    /// The CRC-32C of `bytes`, continuing from `crc` (the CRC of what came before; 0 to start).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        var value = ~crc
        tables.withUnsafeBufferPointer { all in
            all[0].withUnsafeBufferPointer { t0 in
            all[1].withUnsafeBufferPointer { t1 in
            all[2].withUnsafeBufferPointer { t2 in
            all[3].withUnsafeBufferPointer { t3 in
            all[4].withUnsafeBufferPointer { t4 in
            all[5].withUnsafeBufferPointer { t5 in
            all[6].withUnsafeBufferPointer { t6 in
            all[7].withUnsafeBufferPointer { t7 in
                var i = 0
                let n = bytes.count
                while i + 8 <= n {
                    let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ UInt64(value)
                    value = t7[Int(word & 0xFF)] ^ t6[Int((word >> 8) & 0xFF)] ^ t5[Int((word >> 16) & 0xFF)]
                        ^ t4[Int((word >> 24) & 0xFF)] ^ t3[Int((word >> 32) & 0xFF)] ^ t2[Int((word >> 40) & 0xFF)]
                        ^ t1[Int((word >> 48) & 0xFF)] ^ t0[Int(word >> 56)]
                    i += 8
                }
                while i < n {
                    value = t0[Int((value ^ UInt32(bytes[i])) & 0xFF)] ^ (value >> 8)
                    i += 1
                }
            }}}}}}}}
        }
        return ~value
    }

    /// The CRC-32C (Castagnoli) of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
