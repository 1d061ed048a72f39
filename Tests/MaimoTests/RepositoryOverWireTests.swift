import Foundation
import Maimo
import MaimoRepository
import MaimoWire
import MaimoTestSupport
import Testing

/// Repository v2 against a real provider on loopback: store a tree, lose the client's disk,
/// recover from the recovery code alone, restore everything.
@Suite struct RepositoryOverWireTests {
    @Test func storeRecoverRestoreThroughAProvider() throws {
        var seed = SeededGenerator.fromEnvironment("storeRecoverRestoreThroughAProvider")
        let provider = try TestProvider()
        defer { provider.shutdown() }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-v2-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let tree = scratch + "/tree"
        try FileManager.default.createDirectory(atPath: tree + "/empty", withIntermediateDirectories: true)
        for i in 0..<40 {
            let bytes = Array("file \(i)\n".utf8) + randomBytes(Int.random(in: 0...20_000, using: &seed), using: &seed)
            _ = FileManager.default.createFile(atPath: tree + "/dir\(i % 4)/file\(i)", contents: nil)
            try FileManager.default.createDirectory(atPath: tree + "/dir\(i % 4)", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: tree + "/dir\(i % 4)/file\(i)", contents: Data(bytes))
        }
        _ = FileManager.default.createFile(atPath: tree + "/large", contents: Data(randomBytes(3 << 20, using: &seed)))
        try FileManager.default.createSymbolicLink(atPath: tree + "/link", withDestinationPath: "dir0/file0")

        let keys = RepositoryKeys.generate()
        let identity = NodeIdentity(repositoryKeys: keys)
        try provider.allow(identity)
        let blobs = ProviderBlobStore(address: provider.address, provider: provider.identity.nodeID, identity: identity)
        let repository = Repository(keys: keys, store: blobs, index: MemoryRepositoryIndex())
        var options = Repository.StoreOptions()
        options.packSize = 1 << 20
        let report = try repository.store([tree], options: options)
        #expect(report.files == 41 && report.symlinks == 1)
        // 41 files in a handful of packs, not 41 blobs.
        #expect(report.blobsUploaded < 10)
        let usage = try provider.connect(identity).stat()
        #expect(usage.blobs == UInt64(report.blobsUploaded))
        // Every blob proven through the provider's pipelined slices.
        let proofs = try repository.verify(samples: 40)
        #expect(proofs.count == report.blobsUploaded && proofs.allSatisfy { $0.outcome == .ok })

        // A new machine: the code, the provider's address, nothing else.
        let again = try RepositoryKeys(recoveryCode: keys.recoveryCode)
        let recoveredIdentity = NodeIdentity(repositoryKeys: again)
        #expect(recoveredIdentity.nodeID == identity.nodeID)
        let fresh = Repository(keys: again, store: ProviderBlobStore(address: provider.address, provider: provider.identity.nodeID,
                                                                      identity: recoveredIdentity), index: MemoryRepositoryIndex())
        let recovery = try fresh.recover()
        #expect(recovery.snapshots == 1 && recovery.unreadable.isEmpty && recovery.blobs == report.blobsUploaded)
        let (_, entry) = try #require(try fresh.find(tree))
        let restored = try fresh.restore(entry, to: scratch + "/restored")
        #expect(restored.failures.isEmpty && restored.files == 41)
        let manager = FileManager.default
        #expect(try manager.subpathsOfDirectory(atPath: tree).sorted() == manager.subpathsOfDirectory(atPath: scratch + "/restored").sorted())
        for path in try manager.subpathsOfDirectory(atPath: tree) where !path.hasSuffix("link") {
            var isDirectory: ObjCBool = false
            _ = manager.fileExists(atPath: tree + "/" + path, isDirectory: &isDirectory)
            if isDirectory.boolValue { continue }
            #expect(manager.contents(atPath: tree + "/" + path) == manager.contents(atPath: scratch + "/restored/" + path), "\(path)")
        }
        #expect(try manager.destinationOfSymbolicLink(atPath: scratch + "/restored/link") == "dir0/file0")
    }

    @Test func theCatalogueKeepsTheIndexOnDiskAcrossRuns() throws {
        var seed = SeededGenerator.fromEnvironment("theCatalogueKeepsTheIndexOnDiskAcrossRuns")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-v2-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        for i in 0..<12 {
            try FileManager.default.createDirectory(atPath: scratch + "/tree/d\(i % 3)", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: scratch + "/tree/d\(i % 3)/f\(i)", contents: Data(randomBytes(i * 50_000, using: &seed)))
        }
        let keys = RepositoryKeys.generate()
        let blobs = MemoryBlobStore()
        var options = Repository.StoreOptions()
        options.packSize = 256 << 10
        do {
            let catalogue = try Catalogue(path: scratch + "/catalogue.db")
            defer { catalogue.close() }
            let first = try Repository(keys: keys, store: blobs, index: CatalogueIndex(catalogue: catalogue)).store([scratch + "/tree"], options: options)
            #expect(first.newChunks > 0 && first.files == 12)
        }
        // A new process: the catalogue on disk knows every item, tree and snapshot.
        let catalogue = try Catalogue(path: scratch + "/catalogue.db")
        defer { catalogue.close() }
        let index = CatalogueIndex(catalogue: catalogue)
        let repository = Repository(keys: keys, store: blobs, index: index)
        #expect(try index.snapshots().count == 1)
        #expect(try index.blobs().count == blobs.count)
        let again = try repository.store([scratch + "/tree"], options: options)
        #expect(again.bytesRead == 0 && again.newChunks == 0 && again.unchangedFiles == 12)
        #expect(try index.snapshots().count == 2)
        let (_, entry) = try #require(try repository.find(scratch + "/tree/d2/f11"))
        _ = try repository.restore(entry, to: scratch + "/f11")
        #expect(FileManager.default.contents(atPath: scratch + "/f11") == FileManager.default.contents(atPath: scratch + "/tree/d2/f11"))
    }
}

/// What a packet capture of plain TCP sees: a relay records every byte of a store, a verify and a
/// restore, both ways, and none of the node IDs, blob roots or blob lengths is in it (version 1
/// of the wire sent all of them in clear).
@Suite struct WireObserverTests {
    @Test func aRelayOfAWholeSessionSeesNothingInClear() throws {
        var seed = SeededGenerator.fromEnvironment("aRelayOfAWholeSessionSeesNothingInClear")
        let provider = try TestProvider()
        defer { provider.shutdown() }
        let relay = try CuttingProxy(target: provider.port, cutAfter: .max, record: true)
        defer { relay.stop() }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-observed-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        for i in 0..<12 {
            try FileManager.default.createDirectory(atPath: scratch + "/tree/d\(i % 3)", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: scratch + "/tree/d\(i % 3)/f\(i)", contents: Data(randomBytes(i * 40_000, using: &seed)))
        }
        let keys = RepositoryKeys.generate()
        let identity = NodeIdentity(repositoryKeys: keys)
        try provider.allow(identity)
        let index = MemoryRepositoryIndex()
        let blobs = ProviderBlobStore(address: PeerAddress(host: "127.0.0.1", port: relay.port), provider: provider.identity.nodeID, identity: identity)
        let repository = Repository(keys: keys, store: blobs, index: index)
        var options = Repository.StoreOptions()
        options.packSize = 256 << 10
        let report = try repository.store([scratch + "/tree"], options: options)
        #expect(try repository.verify(samples: 20).allSatisfy { $0.outcome == .ok })
        let (_, entry) = try #require(try repository.find(scratch + "/tree"))
        #expect(try repository.restore(entry, to: scratch + "/restored").failures.isEmpty)
        blobs.close()

        let seen = relay.recorded
        #expect(seen.count > 400_000, "the relay carried \(seen.count) bytes")
        #expect(report.blobsUploaded > 3)
        #expect(!Loopback.contains(seen, identity.nodeID.bytes.prefix(8)), "the client's node ID in clear")
        #expect(!Loopback.contains(seen, provider.identity.nodeID.bytes.prefix(8)), "the provider's node ID in clear")
        let stored = try index.blobs()
        #expect(stored.count == report.blobsUploaded)
        for blob in stored {
            #expect(!Loopback.contains(seen, blob.root.bytes.prefix(8)), "a root in clear")
            withUnsafeBytes(of: blob.length.littleEndian) { #expect(!Loopback.contains(seen, Array($0)), "a length in clear: \(blob.length)") }
        }
        // What the relay would have seen before: the roots are in the bytes a v1 session sent.
        let plain = WireRequest.put(root: stored[0].root, length: stored[0].length, start: 0).frame(request: 1).encoded()
        #expect(Loopback.contains(plain, stored[0].root.bytes.prefix(8)))
    }
}
