import MaimoBlake3
import MaimoCipher

/// The end of a keyed copy or share (Docs/Repository.md §12): which blob it belongs to, which
/// share it is, and the nonce of its key stream, sealed under the data key so that `recover`
/// can find every share at every provider from the recovery code alone.
///
/// ```
/// keyed share = body XOR XChaCha8(share key, nonce) ‖ nonce (24) ‖ tag (32) ‖ sealed (64)
/// sealed = XChaCha8-Blake3-SIV(data key, nonce, AD "maimo share v2") of:
///   magic "MAIMOSH\x02", u8 scheme (1 copies, 2 shares), u8 K, u8 N, u8 index, u32 reserved 0,
///   u64 blob length, u64 created (ms since 1970), blob root (32)
/// ```
public struct ShareTrailer: Sendable, Equatable {
    /// The blob's root.
    public var blob: Blake3.Digest
    /// The blob's length.
    public var blobLength: UInt64
    /// Copies or K-of-N.
    public var redundancy: Redundancy
    /// Which copy or shard this is.
    public var index: Int
    /// When it was sealed (ms since 1970): prune spares young orphans.
    public var created: UInt64
    /// The key stream's nonce.
    public var nonce: [UInt8]

    /// Bytes of a trailer.
    public static let length = 24 + 32 + 64
    /// Bytes of a nonce.
    public static let nonceLength = 24
    static let magic: [UInt8] = Array("MAIMOSH".utf8) + [2]
    static let associatedData = Array("maimo share v2".utf8)

    /// A trailer with the given fields.
    public init(blob: Blake3.Digest, blobLength: UInt64, redundancy: Redundancy, index: Int, created: UInt64, nonce: [UInt8]) {
        self.blob = blob
        self.blobLength = blobLength
        self.redundancy = redundancy
        self.index = index
        self.created = created
        self.nonce = nonce
    }

    /// The sealed trailer.
    func seal(keys: RepositoryKeys) throws(RepositoryError) -> [UInt8] {
        var plain = ByteWriter(capacity: 64)
        plain.raw(Self.magic)
        redundancy.write(into: &plain)
        plain.u8(UInt8(index))
        plain.u32(0)
        plain.u64(blobLength)
        plain.u64(created)
        plain.raw(blob.bytes)
        do {
            let box = try XChaCha8Blake3SIV.seal(plain.bytes, key: keys.dataKey, nonce: XChaCha8Blake3SIV.Nonce(nonce),
                                                 associatedData: Self.associatedData)
            return nonce + box.tag + box.ciphertext
        } catch {
            throw .integrity("sealing a share trailer: \(error)")
        }
    }

    /// Opens the last ``length`` bytes of a blob as a share trailer; nil when they do not open
    /// under the keys (a plain blob, another client's, or damage).
    static func open(_ tail: ArraySlice<UInt8>, keys: RepositoryKeys) -> ShareTrailer? {
        guard tail.count >= length else { return nil }
        let bytes = Array(tail.suffix(length))
        let nonce = Array(bytes[0..<24])
        guard let siv = try? XChaCha8Blake3SIV.Nonce(nonce),
              let plain = try? XChaCha8Blake3SIV.open(XChaCha8Blake3SIV.SealedBox(tag: Array(bytes[24..<56]), ciphertext: Array(bytes[56...])),
                                                      key: keys.dataKey, nonce: siv, associatedData: associatedData)
        else { return nil }
        return try? decode(plain, nonce: nonce)
    }

    static func decode(_ plain: [UInt8], nonce: [UInt8]) throws(RepositoryError) -> ShareTrailer {
        var reader = ByteReader(plain, what: "share trailer")
        try reader.magic(magic)
        let redundancy = try Redundancy.read(from: &reader)
        let index = Int(try reader.u8())
        guard try reader.u32() == 0 else { throw reader.fail("reserved bytes set") }
        let blobLength = try reader.u64(), created = try reader.u64()
        let rootBytes = try reader.take(32)
        try reader.end()
        guard index < redundancy.shareCount else { throw reader.fail("share \(index) of \(redundancy)") }
        return ShareTrailer(blob: try! Blake3.Digest(bytes: rootBytes), blobLength: blobLength, redundancy: redundancy,
                            index: index, created: created, nonce: nonce)
    }
}

/// The key stream that makes each keyed share's bytes its own: XChaCha8 under the share key
/// (`derive("maimo 2026-12 share key v2")`) and the share's random nonce, from block 0 at the
/// share's first byte. Applying it twice gives the bytes back; any range can be applied alone.
enum ShareStream {
    /// XORs the key stream for body bytes `offset ..< offset + bytes.count` into `bytes`.
    static func apply(_ bytes: inout [UInt8], offset: UInt64, nonce: [UInt8], keys: RepositoryKeys) throws(RepositoryError) {
        guard !bytes.isEmpty else { return }
        do {
            var cipher = XChaCha.cipher(key: keys.shareKey, nonce: try XChaCha.Nonce(nonce), rounds: .eight, counter: offset / 64)
            let skip = Int(offset % 64)
            if skip == 0 {
                try cipher.apply(to: &bytes)
            } else {
                var padded = [UInt8](repeating: 0, count: skip) + bytes
                try cipher.apply(to: &padded)
                bytes = Array(padded[skip...])
            }
        } catch {
            throw .integrity("the share key stream: \(error)")
        }
    }
}
