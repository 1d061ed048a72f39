/// The one kernel of the coder: `outputs[r] = Σᵢ M[r][i] · inputs[i]` over byte regions, for a
/// fixed matrix M over GF(2⁸).
///
/// Multiplication by a constant is linear, so each output is evaluated by Horner's rule over the
/// bits of its coefficients: with S_k the XOR of the inputs whose coefficient has bit k set,
/// output = (…((S₇·x ⊕ S₆)·x ⊕ S₅)…)·x ⊕ S₀, where ·x is one shift and a conditional XOR of the
/// polynomial. Per 64-byte block an output costs one load-XOR per set coefficient bit and at most
/// seven doublings, all plain SIMD operations SSE2 has (wider ones with `-target-cpu`); no
/// tables, no byte shuffles (Swift has no byte shuffle with variable indices that becomes
/// `pshufb`). The matrix is compiled once into a `Schedule` of input indices.
struct RegionSchedule: Sendable {
    let inputCount: Int
    let outputCount: Int
    /// Per output: the number of bit groups g (0 for an all-zero row), then g groups from the
    /// highest set bit down to bit 0, each a count followed by that many input indices.
    let steps: [Int32]
    /// The same matrix as the split-nibble kernel's tables (``ShuffleKernel/tables(_:)``).
    let tables: [SIMD16<UInt8>]

    init(_ matrix: GaloisMatrix) {
        inputCount = matrix.columns
        outputCount = matrix.rows
        tables = ShuffleKernel.tables(matrix)
        var steps = [Int32]()
        for r in 0..<matrix.rows {
            let row = matrix.row(r)
            let top = row.map { $0 == 0 ? -1 : 7 - $0.leadingZeroBitCount }.max() ?? -1
            steps.append(Int32(top + 1))
            for bit in stride(from: top, through: 0, by: -1) {
                let members = (0..<matrix.columns).filter { row[row.startIndex + $0] & (1 << bit) != 0 }
                steps.append(Int32(members.count))
                steps += members.map(Int32.init)
            }
        }
        self.steps = steps
    }
}

enum RegionKernel {
    /// The three implementations: `shuffles` (``ShuffleKernel``, table lookups) is the fastest
    /// where the build may use SSSE3 or AVX2 (`-target-cpu`), `vectors` (bit-sliced, only what
    /// SSE2 has) in a default x86-64 build, `words` (64-bit integers) in debug builds, where SIMD
    /// operations go lane by lane through generic code (≈100× slower). The tests run all three.
    enum Variant: Sendable, CaseIterable {
        case shuffles, vectors, words

        #if DEBUG
        static let `default` = Variant.words
        #else
        /// Which of `shuffles` and `vectors` is faster depends on the instructions the build
        /// targets, which Swift code cannot ask at compile time; timed once, on first use.
        static let `default` = KernelProbe.fastest()
        #endif
    }

    static let blockSize = 64

    /// Applies `schedule` to `count` bytes of each input, writing (not accumulating) the outputs.
    /// Inputs and outputs must not overlap.
    static func apply(
        _ schedule: RegionSchedule, inputs: UnsafePointer<UnsafePointer<UInt8>>,
        outputs: UnsafePointer<UnsafeMutablePointer<UInt8>>, count: Int, variant: Variant = .default
    ) {
        let whole = count - count % blockSize
        schedule.steps.withUnsafeBufferPointer { steps in
            switch variant {
            case .shuffles:
                ShuffleKernel.apply(
                    tables: schedule.tables, inputCount: schedule.inputCount, inputs: inputs,
                    outputs: outputs, outputCount: schedule.outputCount, count: whole)
            case .vectors:
                var offset = 0
                while offset < whole {
                    VectorBlock.apply(steps, inputs: inputs, outputs: outputs, outputCount: schedule.outputCount, offset: offset)
                    offset += blockSize
                }
            case .words:
                var offset = 0
                while offset < whole {
                    WordBlock.apply(steps, inputs: inputs, outputs: outputs, outputCount: schedule.outputCount, offset: offset)
                    offset += blockSize
                }
            }
        }
        guard whole < count else { return }
        // The tail: through zero-padded copies of the last partial block.
        let rest = count - whole
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: blockSize * (schedule.inputCount + schedule.outputCount))
        defer { scratch.deallocate() }
        scratch.initialize(repeating: 0, count: blockSize * (schedule.inputCount + schedule.outputCount))
        var tailInputs = [UnsafePointer<UInt8>]()
        for i in 0..<schedule.inputCount {
            (scratch + i * blockSize).update(from: inputs[i] + whole, count: rest)
            tailInputs.append(UnsafePointer(scratch + i * blockSize))
        }
        let tailOutputs = (0..<schedule.outputCount).map { scratch + (schedule.inputCount + $0) * blockSize }
        apply(schedule, inputs: tailInputs, outputs: tailOutputs, count: blockSize, variant: variant)
        for r in 0..<schedule.outputCount { (outputs[r] + whole).update(from: tailOutputs[r], count: rest) }
    }
}

/// One 64-byte block as two 32-byte vectors (one AVX2 register each with `-target-cpu`, two SSE2
/// registers each in a default build).
///
/// The vector is `SIMD4<UInt64>` because Swift 6.3's standard library has concrete (single
/// instruction) XOR and AND for it, while `SIMD32<UInt8>`'s bitwise operations run lane by lane
/// even in release builds; its byte-wise addition and comparison are concrete, so ·x views the
/// same bits as bytes for those two: `paddb` doubles, `pcmpgtb` against zero marks the bytes
/// whose top bit falls out (0xFF), `pand` picks the polynomial there, `pxor` reduces — four
/// instructions (the shift, mask and subtract of a 16-byte version were six, and the narrower
/// vector needed twice as many of everything under AVX2).
enum VectorBlock {
    typealias Vector = SIMD4<UInt64>
    typealias Bytes = SIMD32<UInt8>
    typealias SignedBytes = SIMD32<Int8>

    @inline(__always)
    static func times2(_ v: Vector) -> Vector {
        let bytes = unsafeBitCast(v, to: Bytes.self)
        let doubled = unsafeBitCast(bytes &+ bytes, to: Vector.self)
        // A mask's lanes are all ones or zero, stored as one signed integer per lane.
        let carries = unsafeBitCast(unsafeBitCast(v, to: SignedBytes.self) .< SignedBytes(), to: Vector.self)
        return doubled ^ (carries & Vector(repeating: 0x0101_0101_0101_0101 &* UInt64(GaloisField.polynomial)))
    }

    @inline(__always)
    static func apply(
        _ steps: UnsafeBufferPointer<Int32>, inputs: UnsafePointer<UnsafePointer<UInt8>>,
        outputs: UnsafePointer<UnsafeMutablePointer<UInt8>>, outputCount: Int, offset: Int
    ) {
        var s = 0
        for r in 0..<outputCount {
            var a0 = Vector(), a1 = Vector()
            let groups = Int(steps[s])
            s += 1
            for g in 0..<groups {
                if g > 0 {
                    a0 = times2(a0); a1 = times2(a1)
                }
                let members = Int(steps[s])
                s += 1
                for _ in 0..<members {
                    let source = UnsafeRawPointer(inputs[Int(steps[s])] + offset)
                    a0 ^= source.loadUnaligned(as: Vector.self)
                    a1 ^= source.loadUnaligned(fromByteOffset: 32, as: Vector.self)
                    s += 1
                }
            }
            let target = UnsafeMutableRawPointer(outputs[r] + offset)
            target.storeBytes(of: a0, as: Vector.self)
            target.storeBytes(of: a1, toByteOffset: 32, as: Vector.self)
        }
    }
}

/// One 64-byte block as eight 64-bit words: what debug builds run.
enum WordBlock {
    static func apply(
        _ steps: UnsafeBufferPointer<Int32>, inputs: UnsafePointer<UnsafePointer<UInt8>>,
        outputs: UnsafePointer<UnsafeMutablePointer<UInt8>>, outputCount: Int, offset: Int
    ) {
        let low: UInt64 = 0x0101_0101_0101_0101
        let reduce = UInt64(GaloisField.polynomial)
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 8) { words in
            var s = 0
            for r in 0..<outputCount {
                for w in 0..<8 { words[w] = 0 }
                let groups = Int(steps[s])
                s += 1
                for g in 0..<groups {
                    if g > 0 {
                        // Each byte doubled: shifted within its lane, the polynomial where its top bit fell out.
                        for w in 0..<8 {
                            let v = words[w]
                            words[w] = ((v & ~(low &<< 7)) &<< 1) ^ (((v &>> 7) & low) &* reduce)
                        }
                    }
                    let members = Int(steps[s])
                    s += 1
                    for _ in 0..<members {
                        let source = UnsafeRawPointer(inputs[Int(steps[s])] + offset)
                        for w in 0..<8 { words[w] ^= source.loadUnaligned(fromByteOffset: 8 * w, as: UInt64.self) }
                        s += 1
                    }
                }
                let target = UnsafeMutableRawPointer(outputs[r] + offset)
                for w in 0..<8 { target.storeBytes(of: words[w], toByteOffset: 8 * w, as: UInt64.self) }
            }
        }
    }
}
