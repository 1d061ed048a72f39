import Testing
import MaimoTestSupport
@testable import MaimoBlake3

@Suite("Hasher against the reference model")
struct HasherTests {
    /// Sizes around block, chunk and subtree boundaries, where tree logic can go wrong.
    static let boundarySizes: [Int] = {
        var sizes: Set<Int> = [0, 1, 63, 64, 65, 1023, 1024, 1025]
        for chunks in [2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129] {
            for delta in [-1, 0, 1] { sizes.insert(chunks * 1024 + delta) }
        }
        return sizes.sorted()
    }()

    @Test func modelAgreesWithOfficialVector() throws {
        // The model itself is checked before anything is checked against it.
        let file = try Vectors.load("blake3", as: Blake3VectorFile.self)
        for c in file.cases where c.input_len <= 8 * 1024 {
            let expected = bytes(fromHex: c.hash)
            #expect(ReferenceBlake3.hash(vectorInput(c.input_len), length: expected.count) == expected)
        }
    }

    @Test func boundarySizesMatchModel() {
        var generator = SeededGenerator.fromEnvironment("boundarySizesMatchModel")
        for size in Self.boundarySizes {
            let input = randomBytes(size, using: &generator)
            let expected = ReferenceBlake3.hash(input)
            #expect(Blake3.hash(input).bytes == expected, "size \(size)")
        }
    }

    @Test func randomSplitsMatchOneShot() {
        var generator = SeededGenerator.fromEnvironment("randomSplitsMatchOneShot")
        for _ in 0..<60 {
            let size = Int.random(in: 0...(300 * 1024), using: &generator)
            let input = randomBytes(size, using: &generator)
            let expected = Blake3.hash(input)
            var hasher = Blake3()
            var offset = 0
            while offset < size {
                // Mostly small pieces, sometimes large ones that take the subtree path.
                let limit = Bool.random(using: &generator) ? 2100 : 70_000
                let n = min(size - offset, Int.random(in: 0...limit, using: &generator))
                hasher.update(input[offset..<(offset + n)])
                offset += n
                // Finalizing midway must not disturb the state.
                if Int.random(in: 0..<8, using: &generator) == 0 { _ = hasher.finalize() }
            }
            #expect(hasher.finalize() == expected, "size \(size)")
            #expect(hasher.count == UInt64(size))
        }
    }

    @Test func keyedAndDerivedMatchModel() throws {
        var generator = SeededGenerator.fromEnvironment("keyedAndDerivedMatchModel")
        let keyBytes = randomBytes(32, using: &generator)
        let key = try Blake3.Key(keyBytes)
        let keyWords = ReferenceBlake3.words(keyBytes[...]).prefix(8).map { $0 }
        for size in [0, 1, 1024, 1025, 5000, 70_000] {
            let input = randomBytes(size, using: &generator)
            #expect(Blake3.keyedHash(key: key, input).bytes == ReferenceBlake3.hash(input, key: keyWords, flags: 16))
            let contextBytes = ReferenceBlake3.hash(Array("maimo test context".utf8), flags: 32)
            let contextWords = ReferenceBlake3.words(contextBytes[...]).prefix(8).map { $0 }
            #expect(
                Blake3.deriveKey(context: "maimo test context", material: input, outputLength: 100)
                    == ReferenceBlake3.hash(input, key: contextWords, flags: 64, length: 100))
        }
    }

    @Test func nonContiguousSequences() {
        let input = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let lazy = input.lazy.map { $0 }  // no contiguous storage: the buffered path
        #expect(Blake3.hash(lazy) == Blake3.hash(input))
        var hasher = Blake3()
        hasher.update(lazy)
        #expect(hasher.finalize() == Blake3.hash(input))
    }

    @Test func copiesContinueIndependently() {
        var a = Blake3()
        a.update([1, 2, 3])
        var b = a
        b.update([4])
        a.update([5])
        #expect(a.finalize() == Blake3.hash([1, 2, 3, 5] as [UInt8]))
        #expect(b.finalize() == Blake3.hash([1, 2, 3, 4] as [UInt8]))
    }
}

@Suite("Parallel hashing")
struct ParallelTests {
    @Test func parallelEqualsSerialAroundBoundaries() {
        var generator = SeededGenerator.fromEnvironment("parallelEqualsSerialAroundBoundaries")
        let largest = 2 * 1024 * 1024 + 3 * 1024 + 1
        let input = randomBytes(largest, using: &generator)
        var sizes = [256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 512 * 1024 + 1023, 1024 * 1024, largest]
        for _ in 0..<4 { sizes.append(Int.random(in: 200_000...largest, using: &generator)) }
        input.withUnsafeBytes { buffer in
            for size in sizes {
                let slice = UnsafeRawBufferPointer(rebasing: buffer[..<size])
                let serial = Blake3.hash(slice)
                for threads in [2, 3, 4] {
                    #expect(Blake3.hash(slice, threadCount: threads) == serial, "size \(size) threads \(threads)")
                }
            }
        }
    }

    @Test func smallPiecesExerciseTheReduction() {
        // Tiny pieces make many parallel pieces out of a small input, including a short last one.
        var generator = SeededGenerator.fromEnvironment("smallPiecesExerciseTheReduction")
        for chunks in [2, 3, 9, 16, 17, 40, 64, 100] {
            let size = chunks * 1024 - Int.random(in: 0..<1024, using: &generator)
            let input = randomBytes(size, using: &generator)
            input.withUnsafeBytes { buffer in
                let serial = Subtree.chainingValue(buffer, chunkCounter: 0, key: Blake3Constants.iv, flags: 0)
                for threads in [2, 3] {
                    let parallel = Subtree.chainingValue(
                        buffer, chunkCounter: 0, key: Blake3Constants.iv, flags: 0, threads: threads, minimumPiece: 1024)
                    #expect(parallel == serial, "size \(size) threads \(threads)")
                }
            }
        }
    }
}

@Suite("Kernels")
struct KernelTests {
    @Test func everyLaneWidthMatchesTheSingleBlockCompressor() {
        var generator = SeededGenerator.fromEnvironment("everyLaneWidthMatchesTheSingleBlockCompressor")
        let input = randomBytes(16 * 1024, using: &generator)
        let counter = UInt64(UInt32.max) - 5  // lanes whose counter carries into the high word
        input.withUnsafeBytes { buffer in
            let base = buffer.baseAddress!
            let expected = (0..<16).map {
                ManyKernel.singleChunkChainingValue(base + $0 * 1024, key: Blake3Constants.iv, counter: counter + UInt64($0), flags: 0)
            }
            func check<V: Blake3Lanes>(_ type: V.Type) {
                var out = [SIMD8<UInt32>](repeating: .zero, count: V.scalarCount)
                out.withUnsafeMutableBufferPointer { o in
                    hashLanes(
                        type, base: base, stride: 1024, blockCount: 16, key: Blake3Constants.iv, counter: counter,
                        incrementCounter: true, flags: 0, flagsStart: Blake3Constants.chunkStart,
                        flagsEnd: Blake3Constants.chunkEnd, out: o.baseAddress!)
                }
                #expect(out == Array(expected.prefix(V.scalarCount)), "\(V.scalarCount) lanes")
            }
            check(SIMD4<UInt32>.self)
            check(SIMD8<UInt32>.self)
            check(SIMD16<UInt32>.self)
        }
    }

    @Test func parentKernelMatchesSingleParents() {
        var generator = SeededGenerator.fromEnvironment("parentKernelMatchesSingleParents")
        let children = (0..<62).map { _ in SIMD8<UInt32>((0..<8).map { _ in UInt32.random(in: 0...UInt32.max, using: &generator) }) }
        for lanes in [0, 4, 8, 16] {
            var out = [SIMD8<UInt32>](repeating: .zero, count: 31)
            children.withUnsafeBufferPointer { c in
                out.withUnsafeMutableBufferPointer { o in
                    ManyKernel.parents(c.baseAddress!, count: 31, key: Blake3Constants.iv, flags: 0, out: o.baseAddress!, lanes: lanes)
                }
            }
            for i in 0..<31 {
                #expect(out[i] == parentChainingValue(children[2 * i], children[2 * i + 1], key: Blake3Constants.iv, flags: 0),
                        "\(lanes) lanes, parent \(i)")
            }
        }
    }

    /// The row kernel (release builds) and the scalar one (debug builds) agree on random blocks,
    /// counters that carry into the high word, and every flag combination.
    @Test func rowAndScalarCompressorsAgree() {
        var generator = SeededGenerator.fromEnvironment("rowAndScalarCompressorsAgree")
        for i in 0..<200 {
            let cv = SIMD8<UInt32>((0..<8).map { _ in UInt32.random(in: 0...UInt32.max, using: &generator) })
            let message = SIMD16<UInt32>((0..<16).map { _ in UInt32.random(in: 0...UInt32.max, using: &generator) })
            let counter = i % 2 == 0 ? UInt64.random(in: 0...UInt64.max, using: &generator) : UInt64(UInt32.max) + UInt64(i % 3)
            let length = UInt32(i % 65), flags = UInt32(i % 128)
            let rows = compressRows(cv, message, blockLength: length, counter: counter, flags: flags)
            let scalar = compressScalar(cv, message, blockLength: length, counter: counter, flags: flags)
            #expect(rows.row0 == scalar.row0 && rows.row1 == scalar.row1 && rows.row2 == scalar.row2 && rows.row3 == scalar.row3,
                    "block \(i)")
        }
    }

    @Test func calibrationPicksAKnownWidth() {
        #expect([4, 8, 16].contains(ManyKernel.calibrate()))
        // A debug build hashes with the scalar compressor (0) unless MAIMO_BLAKE3_LANES asks.
        #expect([0, 4, 8, 16].contains(ManyKernel.widest))
    }
}
