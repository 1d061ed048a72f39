/// The split-nibble kernel: what ISA-L and most fast coders run, a byte shuffle per coefficient.
///
/// c·x = c·(x & 0x0F) ⊕ c·(x & 0xF0), and each half has only 16 values, so two 16-entry tables
/// per coefficient turn a multiplication of 32 bytes into two table lookups (`vpshufb`) and an
/// XOR. Per 32 bytes of an input, its two nibble vectors are made once and serve every output of
/// a group of up to four, whose sums stay in registers until the input loop ends.
///
/// Swift has no shuffle function, but LLVM turns a vector built lane by lane from
/// `table[index[i]]` into one `pshufb` when it can see the whole pattern: the table a vector
/// whose two 16-byte halves are the same value, and the indices a vector operation's result (not
/// lanes computed one by one). Swift 6.3's `&` on byte vectors is lane by lane, so the nibbles are
/// masked as 64-bit lanes and then added to a zero vector LLVM cannot see is zero (read from the
/// tables' memory): the addition keeps the indices one vector, where a bit cast would be taken
/// apart lane by lane. With SSSE3 or AVX2 (`-target-cpu`) each lookup is one instruction; a
/// default x86-64 build has no byte shuffle and gets 32 scalar loads, so there the bit-sliced
/// ``VectorBlock`` is faster, and ``RegionKernel/Variant/default`` picks by timing both once.
enum ShuffleKernel {
    typealias Bytes = SIMD32<UInt8>
    typealias Half = SIMD16<UInt8>
    typealias Words = SIMD4<UInt64>

    static let vectorSize = 32
    /// Outputs whose sums are kept in registers at once (four, as ISA-L's AVX2 kernels).
    static let groupWidth = 4

    /// Multiplication tables of a matrix, laid out in the order the kernel reads them: per group
    /// of up to four outputs, per input, per output of the group, the 16 products c·n and the 16
    /// products c·(n << 4). The first 32 bytes are zeros (the opaque zero of the indices).
    static func tables(_ matrix: GaloisMatrix) -> [Half] {
        var tables = [Half](repeating: Half(), count: 2)
        for group in stride(from: 0, to: matrix.rows, by: groupWidth) {
            let rows = group..<min(group + groupWidth, matrix.rows)
            for i in 0..<matrix.columns {
                for r in rows {
                    let row = matrix.row(r)
                    let c = row[row.startIndex + i]
                    var low = Half(), high = Half()
                    for n in 0..<16 {
                        low[n] = GaloisField.multiply(c, UInt8(n))
                        high[n] = GaloisField.multiply(c, UInt8(n << 4))
                    }
                    tables.append(low)
                    tables.append(high)
                }
            }
        }
        return tables
    }

    /// Applies the matrix the tables were made of to `count` bytes (a multiple of 32) of each input.
    static func apply(
        tables: [Half], inputCount: Int, inputs: UnsafePointer<UnsafePointer<UInt8>>,
        outputs: UnsafePointer<UnsafeMutablePointer<UInt8>>, outputCount: Int, count: Int
    ) {
        precondition(count % vectorSize == 0)
        tables.withUnsafeBufferPointer { tables in
            let base = tables.baseAddress!
            let zero = UnsafeRawPointer(base).loadUnaligned(as: Bytes.self)
            var group = base + 2
            for first in stride(from: 0, to: outputCount, by: groupWidth) {
                let out = outputs + first
                switch min(groupWidth, outputCount - first) {
                case 1: Group<One>.apply(group, zero, inputCount, inputs, out, count)
                case 2: Group<Two>.apply(group, zero, inputCount, inputs, out, count)
                case 3: Group<Three>.apply(group, zero, inputCount, inputs, out, count)
                default: Group<Four>.apply(group, zero, inputCount, inputs, out, count)
                }
                group += 2 * inputCount * min(groupWidth, outputCount - first)
            }
        }
    }
}

/// How many outputs a group computes: a type, so that each width is its own specialisation with
/// the unused sums and lookups compiled away.
protocol GroupWidth { static var value: Int { get } }
enum One: GroupWidth { static var value: Int { 1 } }
enum Two: GroupWidth { static var value: Int { 2 } }
enum Three: GroupWidth { static var value: Int { 3 } }
enum Four: GroupWidth { static var value: Int { 4 } }

enum Group<Width: GroupWidth> {
    typealias Bytes = ShuffleKernel.Bytes
    typealias Half = ShuffleKernel.Half
    typealias Words = ShuffleKernel.Words

    static func apply(
        _ tables: UnsafePointer<Half>, _ zero: Bytes, _ inputCount: Int,
        _ inputs: UnsafePointer<UnsafePointer<UInt8>>, _ outputs: UnsafePointer<UnsafeMutablePointer<UInt8>>,
        _ count: Int
    ) {
        let width = Width.value
        let nibbles = Words(repeating: 0x0F0F_0F0F_0F0F_0F0F)
        var offset = 0
        while offset < count {
            var s0 = Words(), s1 = Words(), s2 = Words(), s3 = Words()
            var t = tables
            for i in 0..<inputCount {
                let x = UnsafeRawPointer(inputs[i] + offset).loadUnaligned(as: Words.self)
                let low = unsafeBitCast(x & nibbles, to: Bytes.self) &+ zero
                let high = unsafeBitCast((x &>> 4) & nibbles, to: Bytes.self) &+ zero
                s0 ^= product(t[0], t[1], low, high)
                if width > 1 { s1 ^= product(t[2], t[3], low, high) }
                if width > 2 { s2 ^= product(t[4], t[5], low, high) }
                if width > 3 { s3 ^= product(t[6], t[7], low, high) }
                t += 2 * width
            }
            UnsafeMutableRawPointer(outputs[0] + offset).storeBytes(of: s0, as: Words.self)
            if width > 1 { UnsafeMutableRawPointer(outputs[1] + offset).storeBytes(of: s1, as: Words.self) }
            if width > 2 { UnsafeMutableRawPointer(outputs[2] + offset).storeBytes(of: s2, as: Words.self) }
            if width > 3 { UnsafeMutableRawPointer(outputs[3] + offset).storeBytes(of: s3, as: Words.self) }
            offset += ShuffleKernel.vectorSize
        }
    }

    /// c·x for 32 bytes x given as their two nibble vectors, from c's two tables.
    @inline(__always)
    static func product(_ lowTable: Half, _ highTable: Half, _ low: Bytes, _ high: Bytes) -> Words {
        unsafeBitCast(lookup(lowTable, low), to: Words.self) ^ unsafeBitCast(lookup(highTable, high), to: Words.self)
    }

    /// table[index[i]] for each of the 32 lanes (every index below 16): one `pshufb` with SSSE3.
    @inline(__always)
    static func lookup(_ table: Half, _ index: Bytes) -> Bytes {
        let s = Bytes(lowHalf: table, highHalf: table)._storage
        return Bytes(
            s[Int(index[0])], s[Int(index[1])], s[Int(index[2])], s[Int(index[3])],
            s[Int(index[4])], s[Int(index[5])], s[Int(index[6])], s[Int(index[7])],
            s[Int(index[8])], s[Int(index[9])], s[Int(index[10])], s[Int(index[11])],
            s[Int(index[12])], s[Int(index[13])], s[Int(index[14])], s[Int(index[15])],
            s[Int(index[16])], s[Int(index[17])], s[Int(index[18])], s[Int(index[19])],
            s[Int(index[20])], s[Int(index[21])], s[Int(index[22])], s[Int(index[23])],
            s[Int(index[24])], s[Int(index[25])], s[Int(index[26])], s[Int(index[27])],
            s[Int(index[28])], s[Int(index[29])], s[Int(index[30])], s[Int(index[31])])
    }
}
