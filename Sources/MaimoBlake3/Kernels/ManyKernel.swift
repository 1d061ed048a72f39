// Dispatch of whole chunks and parent nodes to the widest lane kernel, then narrower ones, then
// the single-block compressor for the rest.

enum ManyKernel {
    /// Chaining values of `count` whole 1 KiB chunks at `input`, with chunk counters
    /// `counter, counter + 1, …`. None of them is a root.
    static func chunks(
        _ input: UnsafeRawPointer, count: Int, key: SIMD8<UInt32>, counter: UInt64, flags: UInt32,
        out: UnsafeMutablePointer<SIMD8<UInt32>>
    ) {
        let chunk = Blake3Constants.chunkLength
        var done = 0
        @inline(__always) func run<V: Blake3Lanes>(_ type: V.Type) {
            while count - done >= V.scalarCount {
                hashLanes(
                    type, base: input + done * chunk, stride: chunk, blockCount: chunk / Blake3Constants.blockLength,
                    key: key, counter: counter &+ UInt64(done), incrementCounter: true, flags: flags,
                    flagsStart: Blake3Constants.chunkStart, flagsEnd: Blake3Constants.chunkEnd, out: out + done)
                done += V.scalarCount
            }
        }
        run(SIMD16<UInt32>.self)
        run(SIMD8<UInt32>.self)
        run(SIMD4<UInt32>.self)
        while done < count {
            out[done] = singleChunkChainingValue(
                input + done * chunk, key: key, counter: counter &+ UInt64(done), flags: flags)
            done += 1
        }
    }

    /// Chaining values of `count` parent nodes whose children are the consecutive pairs of
    /// chaining values at `children` (`2 * count` of them). None of them is a root.
    static func parents(
        _ children: UnsafePointer<SIMD8<UInt32>>, count: Int, key: SIMD8<UInt32>, flags: UInt32,
        out: UnsafeMutablePointer<SIMD8<UInt32>>
    ) {
        let node = 2 * MemoryLayout<SIMD8<UInt32>>.stride
        let base = UnsafeRawPointer(children)
        var done = 0
        @inline(__always) func run<V: Blake3Lanes>(_ type: V.Type) {
            while count - done >= V.scalarCount {
                hashLanes(
                    type, base: base + done * node, stride: node, blockCount: 1, key: key, counter: 0,
                    incrementCounter: false, flags: flags | Blake3Constants.parent, flagsStart: 0, flagsEnd: 0,
                    out: out + done)
                done += V.scalarCount
            }
        }
        run(SIMD16<UInt32>.self)
        run(SIMD8<UInt32>.self)
        run(SIMD4<UInt32>.self)
        while done < count {
            out[done] = parentChainingValue(children[2 * done], children[2 * done + 1], key: key, flags: flags)
            done += 1
        }
    }

    /// One whole chunk through the single-block compressor.
    @inline(__always)
    static func singleChunkChainingValue(
        _ chunk: UnsafeRawPointer, key: SIMD8<UInt32>, counter: UInt64, flags: UInt32
    ) -> SIMD8<UInt32> {
        var cv = key
        let blocks = Blake3Constants.chunkLength / Blake3Constants.blockLength
        for block in 0..<blocks {
            var blockFlags = flags
            if block == 0 { blockFlags |= Blake3Constants.chunkStart }
            if block == blocks - 1 { blockFlags |= Blake3Constants.chunkEnd }
            cv = compressToChainingValue(
                cv, loadMessageWords(chunk + block * Blake3Constants.blockLength),
                blockLength: UInt32(Blake3Constants.blockLength), counter: counter, flags: blockFlags)
        }
        return cv
    }
}
