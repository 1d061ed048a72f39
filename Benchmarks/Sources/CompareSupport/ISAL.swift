#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// ISA-L's Cauchy encoder through dlopen, when libisal2 is installed.
public struct ISAL {
    typealias CauchyMatrix = @convention(c) (UnsafeMutablePointer<UInt8>, Int32, Int32) -> Void
    typealias InitTables = @convention(c) (Int32, Int32, UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>) -> Void
    typealias EncodeData = @convention(c) (Int32, Int32, Int32, UnsafeMutablePointer<UInt8>,
                                           UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>) -> Void
    let k: Int, n: Int
    let encode: EncodeData
    let tables: [UInt8]

    /// The encoder for `k`-of-`n`, or nil without libisal2.
    public init?(k: Int, n: Int) {
        guard let library = dlopen("libisal.so.2", RTLD_NOW), let cauchySymbol = dlsym(library, "gf_gen_cauchy1_matrix"),
              let initSymbol = dlsym(library, "ec_init_tables"), let encodeSymbol = dlsym(library, "ec_encode_data") else { return nil }
        let cauchy = unsafeBitCast(cauchySymbol, to: CauchyMatrix.self)
        let initTables = unsafeBitCast(initSymbol, to: InitTables.self)
        var matrix = [UInt8](repeating: 0, count: n * k)
        var tables = [UInt8](repeating: 0, count: k * (n - k) * 32)
        matrix.withUnsafeMutableBufferPointer { cauchy($0.baseAddress!, Int32(n), Int32(k)) }
        matrix.withUnsafeMutableBufferPointer { m in
            tables.withUnsafeMutableBufferPointer { initTables(Int32(k), Int32(n - k), m.baseAddress! + k * k, $0.baseAddress!) }
        }
        (self.k, self.n, self.encode, self.tables) = (k, n, unsafeBitCast(encodeSymbol, to: EncodeData.self), tables)
    }

    /// The parity ISA-L computes for `data`.
    public func parity(data: [UnsafeMutableRawBufferPointer], shardSize: Int) -> [[UInt8]] {
        let outputs = (0..<(n - k)).map { _ in UnsafeMutablePointer<UInt8>.allocate(capacity: shardSize) }
        defer { outputs.forEach { $0.deallocate() } }
        run(data: data, outputs: outputs, shardSize: shardSize)
        return outputs.map { Array(UnsafeBufferPointer(start: $0, count: shardSize)) }
    }

    /// MB/s of data shards encoded, best of `inner` calls.
    public func throughput(data: [UnsafeMutableRawBufferPointer], shardSize: Int, inner: Int) -> Double {
        let outputs = (0..<(n - k)).map { _ in UnsafeMutablePointer<UInt8>.allocate(capacity: shardSize) }
        defer { outputs.forEach { $0.deallocate() } }
        return Double(k * shardSize) / best(inner) { run(data: data, outputs: outputs, shardSize: shardSize) } / 1e6
    }

    private func run(data: [UnsafeMutableRawBufferPointer], outputs: [UnsafeMutablePointer<UInt8>], shardSize: Int) {
        var sources = data.map { Optional($0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
        var targets = outputs.map { Optional($0) }
        var tables = self.tables
        tables.withUnsafeMutableBufferPointer { encode(Int32(shardSize), Int32(k), Int32(n - k), $0.baseAddress!, &sources, &targets) }
    }
}
