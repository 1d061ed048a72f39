/// Picks the faster of the two release kernels by running each on the same small job: the
/// split-nibble ``ShuffleKernel`` is about three times the bit-sliced one where the build may
/// use `pshufb` (`-target-cpu` with SSSE3 or AVX2) and many times slower where it may not (a
/// default x86-64 build, which has only SSE2). Both give the same bytes, so the choice changes
/// only the speed. It is made once per process, on first use: 2–6 ms in a default build (where the
/// table kernel is slow), 0.5–0.7 ms with `-target-cpu native`, on a busy two-core machine.
enum KernelProbe {
    static func fastest() -> RegionKernel.Variant {
        // 8 inputs and 4 outputs of 4 KiB: an 8-of-12 encode, the shape the coder mostly runs.
        let inputCount = 8, outputCount = 4, size = 4 << 10
        let schedule = RegionSchedule(
            GaloisMatrix.cauchyGenerator(dataCount: inputCount, totalCount: inputCount + outputCount)
                .selecting(rows: Array(inputCount..<inputCount + outputCount)))
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: (inputCount + outputCount) * size)
        defer { buffer.deallocate() }
        for i in 0..<(inputCount + outputCount) * size { buffer[i] = UInt8(truncatingIfNeeded: i &* 131 &+ i >> 8) }
        let inputs = (0..<inputCount).map { UnsafePointer(buffer + $0 * size) }
        let outputs = (0..<outputCount).map { buffer + (inputCount + $0) * size }
        let clock = ContinuousClock()
        func best(_ variant: RegionKernel.Variant) -> Duration {
            (0..<3).map { _ in
                clock.measure {
                    RegionKernel.apply(schedule, inputs: inputs, outputs: outputs, count: size, variant: variant)
                }
            }.min()!
        }
        return best(.shuffles) < best(.vectors) ? .shuffles : .vectors
    }
}
