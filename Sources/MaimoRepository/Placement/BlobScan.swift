import MaimoBlake3

/// What a blob found at a provider is, by its end: a keyed copy or share (its trailer opens),
/// a plain blob (its header opens), or neither (another client's, damaged, or gone).
enum ScannedBlob {
    case share(ShareTrailer)
    case plain(BlobHeader)
    case unreadable(RepositoryError)
}

extension Repository {
    /// Reads the end of the blob `root` of `length` bytes at `store` (verified against `root`)
    /// and says what it is.
    func classify(root: Blake3.Digest, length: UInt64, at store: any BlobStore) -> ScannedBlob {
        do throws(RepositoryError) {
            guard length >= UInt64(BlobHeader.trailerLength) else { throw .integrity("blob \(root.description.prefix(16)) is too short to be a blob") }
            let guess = min(length, BlobReader.tailGuess)
            let tail = try BlobReader.range(from: store, root: root, offset: length - guess, count: Int(guess))
            if let trailer = ShareTrailer.open(tail[...], keys: keys) {
                guard length > UInt64(ShareTrailer.length) else { throw .integrity("share \(root.description.prefix(16)) has no body") }
                return .share(trailer)
            }
            return .plain(try BlobReader.header(length: length, tail: tail, keys: keys) { (offset, count) throws(RepositoryError) in
                try BlobReader.range(from: store, root: root, offset: offset, count: count)
            })
        } catch {
            return .unreadable(error)
        }
    }
}
