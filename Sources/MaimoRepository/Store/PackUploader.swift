import Foundation
import MaimoBao
import MaimoBlake3

/// Finishes packs (header, padding, Bao encoding) and uploads them on their own threads while
/// the workers fill the next ones. The queue is bounded, so a slow provider holds the workers
/// back instead of filling memory: at most `width + capacity` packs exist at once.
final class PackUploader: @unchecked Sendable {
    private let keys: RepositoryKeys
    private let fleet: BlobFleet
    private let index: any RepositoryIndex
    private let condition = NSCondition()
    private var queue: [BlobBuilder] = []
    private var closed = false
    private let capacity: Int
    private var threads = 0
    private(set) var failure: RepositoryError?
    /// Every blob this run uploaded, with its header entries.
    private(set) var uploaded: [PackRecord] = []
    /// Bytes written to providers: every copy and share of the blobs uploaded.
    private(set) var bytesSent: UInt64 = 0
    private let sent: @Sendable (UInt64) -> Void

    init(keys: RepositoryKeys, fleet: BlobFleet, index: any RepositoryIndex, width: Int, capacity: Int,
         sent: @escaping @Sendable (UInt64) -> Void) {
        self.keys = keys
        self.fleet = fleet
        self.index = index
        self.capacity = max(1, capacity)
        self.sent = sent
        threads = max(1, width)
        for _ in 0..<threads {
            let thread = Thread { [self] in run() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Queues a pack (waits while the queue is full). Throws the first upload failure, so the
    /// workers stop early.
    func submit(_ pack: BlobBuilder) throws(RepositoryError) {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= capacity && failure == nil { condition.wait() }
        if let failure { throw failure }
        queue.append(pack)
        condition.broadcast()
    }

    /// Waits for every queued pack; returns the packs uploaded, or throws the first failure.
    func finish() throws(RepositoryError) -> [PackRecord] {
        condition.lock()
        closed = true
        condition.broadcast()
        while threads > 0 { condition.wait() }
        let result = failure
        condition.unlock()
        if let result { throw result }
        return uploaded
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed && failure == nil { condition.wait() }
            if queue.isEmpty || failure != nil {
                threads -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let pack = queue.removeFirst()
            condition.broadcast()
            condition.unlock()
            do {
                let (record, placed) = try Self.place(consume pack, keys: keys, fleet: fleet, index: index)
                condition.lock()
                uploaded.append(record)
                bytesSent += placed
                condition.unlock()
                sent(placed)
            } catch {
                condition.lock()
                if failure == nil { failure = error }
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    /// Seals and places one blob (its copies or shares at their providers), then records it in
    /// the index.
    static func upload(_ builder: consuming BlobBuilder, keys: RepositoryKeys, fleet: BlobFleet, index: any RepositoryIndex) throws(RepositoryError) -> PackRecord {
        try place(builder, keys: keys, fleet: fleet, index: index).record
    }

    /// ``upload(_:keys:fleet:index:)``, with the bytes written to providers: every copy and
    /// share (N/K of the blob's bytes for K-of-N, with their trailers).
    static func place(_ builder: consuming BlobBuilder, keys: RepositoryKeys, fleet: BlobFleet,
                      index: any RepositoryIndex) throws(RepositoryError) -> (record: PackRecord, placed: UInt64) {
        let created = UInt64(Date().timeIntervalSince1970 * 1000)
        let kind = builder.kind
        let (bytes, header) = try builder.finish(keys: keys, created: created)
        // The blob's name is its Bao root, which is the BLAKE3 hash of its bytes.
        let root = Blake3.hash(bytes)
        let placement = try fleet.put(root: root, content: bytes)
        let record = PackRecord(root: root, length: UInt64(bytes.count), entries: header.entries)
        try index.add(blob: BlobRecord(root: root, length: record.length, kind: kind, placement: placement), entries: header.entries)
        return (record, placement.shares.reduce(0) { $0 + $1.length })
    }
}
