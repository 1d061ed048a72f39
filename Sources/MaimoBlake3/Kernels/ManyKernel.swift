// Dispatch of whole chunks and parent nodes to the widest lane kernel, then narrower ones, then
// the single-block compressor for the rest.

enum ManyKernel {
    /// The widest lane count to use: 16, 8 or 4; 0 in a debug build (no lane kernel: every chunk
    /// through the single-block compressor, ScalarCompress.swift says why).
    ///
    /// Swift has no compile-time test for the target's vector width, and the best kernel differs:
    /// in a default x86-64 (SSE2, 16 registers) build the 16-lane kernel spills so much that the
    /// 8-lane one is twice as fast, while with AVX-512 the 16-lane one is a third faster. So the
    /// first large hash times each width on 16 KiB (about 0.15 ms, once per process) and keeps
    /// the fastest. Results never depend on the choice. `MAIMO_BLAKE3_LANES=4|8|16` overrides it.
    static let widest: Int = {
        if let value = Platform.environment("MAIMO_BLAKE3_LANES"), let lanes = Int(value), [4, 8, 16].contains(lanes) {
            return lanes
        }
        #if DEBUG
        return 0
        #else
        return calibrate()
        #endif
    }()

    static func calibrate() -> Int {
        let chunks = 16
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: chunks * Blake3Constants.chunkLength, alignment: 64)
        defer { input.deallocate() }
        for i in 0..<input.count { input[i] = UInt8(truncatingIfNeeded: i &* 31) }
        let out = UnsafeMutablePointer<SIMD8<UInt32>>.allocate(capacity: chunks)
        defer { out.deallocate() }
        // The loops timed are the ones `chunks` runs, not copies inlined here: in a default
        // build the 8-lane loop's speed depends on where the linker puts it (1 MiB at 2.1 GB/s
        // in one executable, 1.4 in another, where 4 lanes reached 1.9), so what is measured
        // must be that very code, and the 4-lane kernel is a candidate too.
        // Without a clock (Embedded Swift), 4 lanes: one 128-bit register per state word, the
        // width of WebAssembly's SIMD and of NEON.
        func best(_ lanes: Int) -> Int64? {
            var fastest = Int64.max
            for _ in 0..<5 {
                guard
                    let elapsed = Platform.nanoseconds({
                        ManyKernel.chunks(
                            UnsafeRawPointer(input.baseAddress!), count: chunks, key: Blake3Constants.iv, counter: 0,
                            flags: 0, out: out, lanes: lanes)
                    })
                else { return nil }
                fastest = min(fastest, elapsed)
            }
            return fastest
        }
        var widest = 4
        var fastest = Int64.max
        for lanes in [16, 8, 4] {
            guard let elapsed = best(lanes) else { return 4 }
            if elapsed < fastest { (widest, fastest) = (lanes, elapsed) }
        }
        return widest
    }

    /// Chaining values of `count` whole 1 KiB chunks at `input`, with chunk counters
    /// `counter, counter + 1, …`. None of them is a root.
    /// `lanes` is the widest kernel to use (``widest`` unless calibrating).
    static func chunks(
        _ input: UnsafeRawPointer, count: Int, key: SIMD8<UInt32>, counter: UInt64, flags: UInt32,
        out: UnsafeMutablePointer<SIMD8<UInt32>>, lanes: Int = widest
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
        if lanes >= 16 { run(SIMD16<UInt32>.self) }
        if lanes >= 8 { run(SIMD8<UInt32>.self) }
        if lanes >= 4 { run(SIMD4<UInt32>.self) }
        while done < count {
            out[done] = singleChunkChainingValue(
                input + done * chunk, key: key, counter: counter &+ UInt64(done), flags: flags)
            done += 1
        }
    }

    /// Chaining values of `count` parent nodes whose children are the consecutive pairs of
    /// chaining values at `children` (`2 * count` of them). None of them is a root.
    /// `lanes` is the widest kernel to use (``widest`` unless testing).
    static func parents(
        _ children: UnsafePointer<SIMD8<UInt32>>, count: Int, key: SIMD8<UInt32>, flags: UInt32,
        out: UnsafeMutablePointer<SIMD8<UInt32>>, lanes: Int = widest
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
        if lanes >= 16 { run(SIMD16<UInt32>.self) }
        if lanes >= 8 { run(SIMD8<UInt32>.self) }
        if lanes >= 4 { run(SIMD4<UInt32>.self) }
        while done < count {
            out[done] = parentChainingValue(children[2 * done], children[2 * done + 1], key: key, flags: flags)
            done += 1
        }
    }

    /// One whole chunk through the single-block compressor. Not inlined: in the lane loops'
    /// function its code changed their register allocation (SSE2 build: 1.97 → 1.30 GB/s).
    @inline(never)
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
