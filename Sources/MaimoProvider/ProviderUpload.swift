#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Maimo
import MaimoBao
import MaimoBlake3
import MaimoKeystore
import MaimoTor

extension ProviderStore {
    /// An upload in progress: bytes appended to the staging file, then verified and committed.
    final class Upload {
        let store: ProviderStore
        let client: [UInt8], root: [UInt8]
        let length: UInt64
        let descriptor: Int32
        private(set) var written: UInt64
        private var ended = false
        /// Committed, or its staged bytes dropped: nothing stays staged.
        private var finished = false

        init(store: ProviderStore, client: [UInt8], root: [UInt8], length: UInt64, descriptor: Int32, written: UInt64) {
            self.store = store
            self.client = client
            self.root = root
            self.length = length
            self.descriptor = descriptor
            self.written = written
        }

        func append(_ bytes: [UInt8], at offset: UInt64) throws(MaimoError) {
            guard offset == written else { throw .refused(.badFrame, "data at \(offset), expected \(written)") }
            guard UInt64(bytes.count) <= length - written else { throw .refused(.badFrame, "data past the announced length \(length)") }
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    let code = errno
                    discardStaged()
                    let full = code == ENOSPC || code == EFBIG || code == EDQUOT
                    throw .refused(full ? .noSpace : .internal, "the provider cannot write: \(String(cString: strerror(code)))")
                }
                done += n
            }
            written += UInt64(bytes.count)
        }

        var isComplete: Bool { written == length }

        /// Drops what is staged when the provider cannot go on (its disk is full, its store
        /// failed): kept, the bytes would hold the space a retry needs.
        private func discardStaged() {
            ftruncate(descriptor, 0)
            unlink(store.stagingPath(client, root))
            written = 0
            finished = true
        }

        /// Hashes the whole staged content while copying it into the keystore and building its
        /// pruned Bao tree; commits durably (content, then tree) only when the hash is the root,
        /// and removes the staging file. On a mismatch the staged bytes are dropped.
        func commit() throws(MaimoError) {
            let key = store.blobKey(client, root)
            // The quota may have been lowered while the bytes arrived.
            guard store.fits(client: client, stored: ProviderStore.storedSize(contentLength: length)) else {
                discardStaged()
                throw .refused(.quotaExceeded, "the blob no longer fits the quota")
            }
            let digest: Blake3.Digest
            do { digest = try Blake3.Digest(bytes: root) } catch { throw .refused(.badFrame, "a root has 32 bytes") }
            let writer: ValueWriter
            do { writer = try store.keystore.makeWriter(for: key) } catch { throw .refused(.internal, "the provider's store failed: \(error)") }
            var builder = BaoGroupedOutboardBuilder(groupLength: ProviderStore.groupLength)
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var offset: UInt64 = 0
            while offset < length {
                let want = Int(min(UInt64(buffer.count), length - offset))
                let n = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, want, off_t(offset)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    writer.cancel()
                    throw .refused(.internal, "the provider cannot read its staging file: \(n < 0 ? String(cString: strerror(errno)) : "it ended early")")
                }
                var failure: KeystoreError?
                buffer.withUnsafeBytes { raw in
                    let piece = UnsafeRawBufferPointer(rebasing: raw[..<n])
                    builder.update(piece)
                    do throws(KeystoreError) { try writer.write(piece) } catch { failure = error }
                }
                if let failure {
                    writer.cancel()
                    discardStaged()
                    throw .refused(.internal, "the provider's store failed: \(failure)")
                }
                offset += UInt64(n)
            }
            let (tree, hash) = builder.finalize()
            guard hash == digest else {
                writer.cancel()
                ftruncate(descriptor, 0)
                written = 0
                throw .refused(.verifyFailed, "the uploaded bytes do not match the root")
            }
            do {
                try writer.write(tree)
                try writer.commit()
            } catch {
                writer.cancel()
                discardStaged()
                throw .refused(.internal, "the provider's store failed: \(error)")
            }
            store.count(client: client, stored: ProviderStore.storedSize(contentLength: length))
            unlink(store.stagingPath(client, root))
            finished = true
        }

        /// Ends the upload: what is staged stays for a resume (and keeps its reservation against
        /// the quota) unless it was committed, dropped or is empty.
        func end() {
            guard !ended else { return }
            ended = true
            Glibc.close(descriptor)
            let kept = !finished && written > 0
            if !kept && !finished { unlink(store.stagingPath(client, root)) }
            store.endUpload(client, root, kept: kept)
        }

        deinit { end() }
    }
}
