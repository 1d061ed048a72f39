/// A systematic Reed–Solomon erasure code over GF(2⁸): `dataShards` (K) data shards and
/// `totalShards − dataShards` parity shards, any K of the N enough to rebuild all of them.
///
/// The generator is the identity over a Cauchy matrix (see `Docs/Erasure.md`), the same as
/// ISA-L's `gf_gen_cauchy1_matrix`, so parity is byte for byte what ISA-L computes for it.
/// Shards are equal-length byte regions; the code works on each byte position independently.
///
/// ```swift
/// let code = try ReedSolomon(dataShards: 10, totalShards: 14)
/// var shards: [[UInt8]?] = try code.shards(of: bytes)       // 14 shards
/// shards[2] = nil; shards[11] = nil                           // any four lost
/// try code.reconstruct(&shards)
/// let back = try code.join(shards, count: bytes.count)
/// ```
public struct ReedSolomon: Sendable {
    /// K: the shards that carry the data, and how many of any N suffice to rebuild it.
    public let dataShards: Int
    /// N: data and parity shards together (at most 256).
    public let totalShards: Int
    /// N − K: how many shards may be lost.
    public var parityShards: Int { totalShards - dataShards }

    let generator: GaloisMatrix
    let paritySchedule: RegionSchedule

    /// A K-of-N code.
    /// - Throws: ``ErasureError`` unless 1 ≤ `dataShards` ≤ `totalShards` ≤ 256.
    public init(dataShards: Int, totalShards: Int) throws(ErasureError) {
        guard dataShards >= 1, totalShards >= dataShards, totalShards <= 256 else {
            throw .invalidCode(dataShards: dataShards, totalShards: totalShards)
        }
        self.dataShards = dataShards
        self.totalShards = totalShards
        generator = GaloisMatrix.cauchyGenerator(dataCount: dataShards, totalCount: totalShards)
        paritySchedule = RegionSchedule(generator.selecting(rows: Array(dataShards..<totalShards)))
    }

    /// The coefficients of parity shard `index` (0-based among the parity shards), one per data shard.
    public func parityCoefficients(_ index: Int) -> [UInt8] {
        Array(generator.row(dataShards + index))
    }

    /// Computes the parity shards of `data` (K regions of one length) into `parity` (N − K
    /// regions of that length).
    public func encode(data: [UnsafeRawBufferPointer], parity: [UnsafeMutableRawBufferPointer]) throws(ErasureError) {
        guard data.count == dataShards else { throw .wrongShardCount(expected: dataShards, actual: data.count) }
        guard parity.count == parityShards else { throw .wrongShardCount(expected: parityShards, actual: parity.count) }
        let size = data[0].count
        for (i, region) in data.enumerated() where region.count != size {
            throw .shardSizeMismatch(index: i, expected: size, actual: region.count)
        }
        for (i, region) in parity.enumerated() where region.count != size {
            throw .shardSizeMismatch(index: dataShards + i, expected: size, actual: region.count)
        }
        guard size > 0, parityShards > 0 else { return }
        let inputs = data.map { $0.baseAddress!.assumingMemoryBound(to: UInt8.self) }
        let outputs = parity.map { $0.baseAddress!.assumingMemoryBound(to: UInt8.self) }
        RegionKernel.apply(paritySchedule, inputs: inputs, outputs: outputs, count: size)
    }

    /// The N − K parity shards of `data` (K arrays of one length).
    public func encode(_ data: [[UInt8]]) throws(ErasureError) -> [[UInt8]] {
        guard data.count == dataShards else { throw .wrongShardCount(expected: dataShards, actual: data.count) }
        let size = data[0].count
        for (i, shard) in data.enumerated() where shard.count != size {
            throw .shardSizeMismatch(index: i, expected: size, actual: shard.count)
        }
        return withRegions(data) { inputs in
            makeRegions(count: parityShards, size: size) { outputs in
                RegionKernel.apply(paritySchedule, inputs: inputs, outputs: outputs, count: size)
            }
        }
    }

    /// The shard length for `count` bytes: ⌈count / K⌉.
    public func shardSize(for count: Int) -> Int {
        (count + dataShards - 1) / dataShards
    }

    /// All N shards of `bytes`: the bytes cut into K data shards (the last zero-padded), then
    /// the parity shards.
    public func shards(of bytes: [UInt8]) throws(ErasureError) -> [[UInt8]] {
        let size = shardSize(for: bytes.count)
        var data = [[UInt8]]()
        data.reserveCapacity(totalShards)
        for i in 0..<dataShards {
            let start = min(bytes.count, i * size), end = min(bytes.count, start + size)
            var shard = Array(bytes[start..<end])
            if shard.count < size { shard += [UInt8](repeating: 0, count: size - shard.count) }
            data.append(shard)
        }
        return data + (try encode(data))
    }

    /// The first `count` bytes of the data shards, which must all be present (a missing one is
    /// ``ErasureError/tooFewShards(present:needed:)`` counting the data shards present).
    public func join(_ shards: [[UInt8]?], count: Int) throws(ErasureError) -> [UInt8] {
        guard shards.count == totalShards else { throw .wrongShardCount(expected: totalShards, actual: shards.count) }
        var result = [UInt8]()
        result.reserveCapacity(count)
        for i in 0..<dataShards where result.count < count {
            guard let shard = shards[i] else {
                // Missing data shards: `reconstructData` first.
                throw .tooFewShards(present: shards.prefix(dataShards).compactMap { $0 }.count, needed: dataShards)
            }
            result += shard.prefix(count - result.count)
        }
        guard result.count == count else { throw .shardSizeMismatch(index: dataShards - 1, expected: count, actual: result.count) }
        return result
    }

    /// Rebuilds every missing (nil) shard from the present ones, data and parity alike. The
    /// present shards are taken as they are: check them against their hashes first (a corrupt
    /// shard used here spreads into every rebuilt one).
    public func reconstruct(_ shards: inout [[UInt8]?]) throws(ErasureError) {
        try rebuild(&shards, parityToo: true)
    }

    /// Rebuilds the missing data shards only (what a read needs).
    public func reconstructData(_ shards: inout [[UInt8]?]) throws(ErasureError) {
        try rebuild(&shards, parityToo: false)
    }

    func rebuild(_ shards: inout [[UInt8]?], parityToo: Bool) throws(ErasureError) {
        guard shards.count == totalShards else { throw .wrongShardCount(expected: totalShards, actual: shards.count) }
        let present = shards.indices.filter { shards[$0] != nil }
        guard present.count >= dataShards else { throw .tooFewShards(present: present.count, needed: dataShards) }
        let size = shards[present[0]]!.count
        for i in present where shards[i]!.count != size {
            throw .shardSizeMismatch(index: i, expected: size, actual: shards[i]!.count)
        }
        let missing = shards.indices.filter { shards[$0] == nil && (parityToo || $0 < dataShards) }
        guard !missing.isEmpty else { return }
        let missingData = missing.filter { $0 < dataShards }
        let used = Array(present.prefix(dataShards))
        // The data as a function of the used shards, and each wanted shard's row through it.
        var rows = GaloisMatrix(rows: missing.count, columns: dataShards)
        if missingData.isEmpty {
            // All data present (used = the data shards): the parity rows apply directly.
            rows = generator.selecting(rows: missing)
        } else {
            guard let decode = generator.selecting(rows: used).inverted() else {
                preconditionFailure("a square submatrix of a Cauchy generator is singular")
            }
            rows = generator.selecting(rows: missing).multiplied(by: decode)
        }
        let schedule = RegionSchedule(rows)
        let outputs = withRegions(used.map { shards[$0]! }) { inputs in
            makeRegions(count: missing.count, size: size) { outputPointers in
                RegionKernel.apply(schedule, inputs: inputs, outputs: outputPointers, count: size)
            }
        }
        for (k, index) in missing.enumerated() { shards[index] = outputs[k] }
    }

    /// Whether the parity shards agree with the data shards (all N present).
    public func isConsistent(_ shards: [[UInt8]]) throws(ErasureError) -> Bool {
        guard shards.count == totalShards else { throw .wrongShardCount(expected: totalShards, actual: shards.count) }
        return try encode(Array(shards.prefix(dataShards))) == Array(shards.suffix(parityShards))
    }
}

nonisolated(unsafe) private let emptyRegion = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)

/// Calls `body` with stable pointers to the bytes of each array.
func withRegions<R>(_ arrays: [[UInt8]], _ body: ([UnsafePointer<UInt8>]) -> R) -> R {
    var pointers = [UnsafePointer<UInt8>]()
    pointers.reserveCapacity(arrays.count)
    func nest(_ index: Int) -> R {
        if index == arrays.count { return body(pointers) }
        return arrays[index].withUnsafeBufferPointer { buffer in
            // An empty array has no storage; the kernel reads nothing from it (count 0).
            pointers.append(buffer.baseAddress ?? UnsafePointer(emptyRegion))
            return nest(index + 1)
        }
    }
    return nest(0)
}

/// `count` regions of `size` bytes that `body` writes, returned as arrays.
func makeRegions(count: Int, size: Int, _ body: ([UnsafeMutablePointer<UInt8>]) -> Void) -> [[UInt8]] {
    guard size > 0 else { return [[UInt8]](repeating: [], count: count) }
    let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: count * size)
    defer { storage.deallocate() }
    body((0..<count).map { storage + $0 * size })
    return (0..<count).map { Array(UnsafeBufferPointer(start: storage + $0 * size, count: size)) }
}
