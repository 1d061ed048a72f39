/// Byte counts of a buffer (the literals' histogram, for their Huffman table).
enum Histogram {
    /// Counts the bytes of `bytes` into `counts` (256 entries, zeroed by the caller). Long
    /// buffers are counted into four tables at once, four bytes per load: text repeats a few
    /// byte values, and one table would make each increment wait for the previous store of the
    /// same counter.
    static func count(_ bytes: UnsafePointer<UInt8>, _ count: Int, into counts: UnsafeMutablePointer<Int>) {
        guard count >= 1500 else {
            for i in 0..<count { counts[Int(bytes[i])] &+= 1 }
            return
        }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 1024) { tables in
            let t = tables.baseAddress!
            t.initialize(repeating: 0, count: 1024)
            let raw = UnsafeRawPointer(bytes)
            var i = 0
            while i + 16 <= count {
                for k in 0..<4 {
                    let word = raw.loadUnaligned(fromByteOffset: i + 4 * k, as: UInt32.self)
                    t[Int(word & 0xFF)] &+= 1
                    t[256 + Int((word >> 8) & 0xFF)] &+= 1
                    t[512 + Int((word >> 16) & 0xFF)] &+= 1
                    t[768 + Int(word >> 24)] &+= 1
                }
                i += 16
            }
            while i < count { t[Int(bytes[i])] &+= 1; i += 1 }
            for s in 0..<256 { counts[s] &+= Int(t[s] &+ t[256 + s] &+ t[512 + s] &+ t[768 + s]) }
        }
    }
}
