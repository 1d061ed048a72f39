// The state of the chunk being filled (BLAKE3 spec, section 5.1.2). The last block of a chunk
// stays buffered until more input arrives, because only then is it known not to be the root.

struct ChunkState: Sendable {
    var chainingValue: SIMD8<UInt32>
    var chunkCounter: UInt64
    /// The pending block, zero beyond `blockLength` so that it can be compressed as padded.
    var block = SIMD64<UInt8>()
    var blockLength = 0
    var blocksCompressed = 0
    let flags: UInt32

    init(key: SIMD8<UInt32>, chunkCounter: UInt64, flags: UInt32) {
        self.chainingValue = key
        self.chunkCounter = chunkCounter
        self.flags = flags
    }

    /// Bytes taken so far by this chunk.
    var count: Int { Blake3Constants.blockLength * blocksCompressed + blockLength }

    private var startFlag: UInt32 { blocksCompressed == 0 ? Blake3Constants.chunkStart : 0 }

    private mutating func compressBlock(_ message: SIMD16<UInt32>) {
        chainingValue = compressToChainingValue(
            chainingValue, message, blockLength: UInt32(Blake3Constants.blockLength), counter: chunkCounter,
            flags: flags | startFlag)
        blocksCompressed += 1
    }

    /// Takes up to the rest of this chunk from `input`; returns how many bytes it took.
    mutating func update(_ input: UnsafeRawBufferPointer) -> Int {
        let blockSize = Blake3Constants.blockLength
        let take = min(input.count, Blake3Constants.chunkLength - count)
        guard take > 0, let base = input.baseAddress else { return 0 }
        var offset = 0
        while offset < take {
            if blockLength == blockSize {
                compressBlock(unsafeBitCast(block, to: SIMD16<UInt32>.self).littleEndianWords)
                block = SIMD64()
                blockLength = 0
            }
            // Whole blocks straight from the input, keeping the last one back.
            if blockLength == 0 {
                while take - offset > blockSize {
                    compressBlock(loadMessageWords(base + offset))
                    offset += blockSize
                }
            }
            let n = min(blockSize - blockLength, take - offset)
            withUnsafeMutableBytes(of: &block) { buffer in
                buffer.baseAddress!.advanced(by: blockLength).copyMemory(from: base + offset, byteCount: n)
            }
            blockLength += n
            offset += n
        }
        return take
    }

    /// The output of this chunk as the last node: its chaining value, or the root if it is alone.
    func output() -> Output {
        Output(
            inputChainingValue: chainingValue,
            block: unsafeBitCast(block, to: SIMD16<UInt32>.self).littleEndianWords,
            blockLength: UInt32(blockLength), counter: chunkCounter,
            flags: flags | startFlag | Blake3Constants.chunkEnd)
    }
}

extension SIMD16<UInt32> {
    /// Words read from little-endian bytes (a no-op on little-endian machines).
    @inline(__always)
    var littleEndianWords: SIMD16<UInt32> { fromLittleEndian }
}

extension SIMD where Scalar: FixedWidthInteger {
    /// Host-order lanes from lanes loaded as little-endian bytes.
    @inline(__always)
    var fromLittleEndian: Self {
        #if _endian(big)
        var result = self
        for i in indices { result[i] = Scalar(littleEndian: self[i]) }
        return result
        #else
        return self
        #endif
    }
}

/// A node that has not been compressed yet: it can become a chaining value, or the root
/// (any amount of extended output, from any block counter).
struct Output: Sendable {
    let inputChainingValue: SIMD8<UInt32>
    let block: SIMD16<UInt32>
    let blockLength: UInt32
    let counter: UInt64
    let flags: UInt32

    func chainingValue() -> SIMD8<UInt32> {
        compressToChainingValue(
            inputChainingValue, block, blockLength: blockLength, counter: counter, flags: flags)
    }

    /// 64 bytes of root output for output block number `outputBlockCounter`.
    func rootOutputBlock(_ outputBlockCounter: UInt64) -> SIMD16<UInt32> {
        compressToOutputBlock(
            inputChainingValue, block, blockLength: blockLength, counter: outputBlockCounter,
            flags: flags | Blake3Constants.root)
    }

    static func parent(
        _ left: SIMD8<UInt32>, _ right: SIMD8<UInt32>, key: SIMD8<UInt32>, flags: UInt32
    ) -> Output {
        let message = SIMD16(lowHalf: left, highHalf: right)
        return Output(
            inputChainingValue: key, block: message, blockLength: UInt32(Blake3Constants.blockLength),
            counter: 0, flags: flags | Blake3Constants.parent)
    }
}
