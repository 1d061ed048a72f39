import Testing
@testable import MaimoRepository
import MaimoBlake3
import MaimoTestSupport
import MaimoZstd

@Suite struct FormatTests {
    let keys = RepositoryKeys.generate()

    func sealed(_ text: String, type: ItemType = .data) throws -> (bytes: [UInt8], entry: ItemEntry, plaintext: [UInt8]) {
        let plaintext = Array(text.utf8)
        let item = try ItemSealer.seal(plaintext, id: keys.itemID(plaintext), type: type, keys: keys, compressor: ZstdCompressor())
        return (item.bytes, item.entry, plaintext)
    }

    @Test func itemsRoundTripAndRefuseEveryChange() throws {
        let text = String(repeating: "compressible line of text\n", count: 40)
        let (bytes, entry, plaintext) = try sealed(text)
        #expect(entry.compression == 1)
        #expect(Int(entry.storedLength) == bytes.count && bytes.count < plaintext.count)
        // The entry's layout has the length the spec gives, and round-trips.
        #expect(entry.encoded.count == ItemEntry.encodedLength && ItemEntry.encodedLength == 56)
        #expect(try ItemEntry(encoded: entry.encoded) == entry)
        #expect(try ItemSealer.open(bytes[...], entry: entry, keys: keys, dictionary: nil) == plaintext)
        // Every flipped byte is refused.
        for i in 0..<bytes.count {
            var damaged = bytes
            damaged[i] ^= 0x40
            #expect(throws: RepositoryError.self) { _ = try ItemSealer.open(damaged[...], entry: entry, keys: keys, dictionary: nil) }
        }
        // The same bytes under another ID, type or key are refused.
        var moved = entry
        moved.id = keys.itemID([9])
        #expect(throws: RepositoryError.self) { _ = try ItemSealer.open(bytes[...], entry: moved, keys: keys, dictionary: nil) }
        var retyped = entry
        retyped.type = .tree
        #expect(throws: RepositoryError.self) { _ = try ItemSealer.open(bytes[...], entry: retyped, keys: keys, dictionary: nil) }
        #expect(throws: RepositoryError.self) { _ = try ItemSealer.open(bytes[...], entry: entry, keys: RepositoryKeys.generate(), dictionary: nil) }
        #expect(throws: RepositoryError.self) { _ = try ItemSealer.open(bytes.dropLast(), entry: entry, keys: keys, dictionary: nil) }
        // A plaintext length (not authenticated) one off either way: the frame decodes into a
        // buffer of exactly that length, and neither more nor less content is accepted.
        for change in [-1, 1, -Int(entry.plaintextLength)] {
            var resized = entry
            resized.plaintextLength = UInt32(Int(entry.plaintextLength) + change)
            #expect(throws: RepositoryError.self) { _ = try ItemSealer.open(bytes[...], entry: resized, keys: keys, dictionary: nil) }
        }
    }

    @Test func incompressibleItemsAreStoredAsTheyAre() throws {
        var generator = SeededGenerator.fromEnvironment("incompressibleItemsAreStoredAsTheyAre")
        let noise = randomBytes(5000, using: &generator)
        let item = try ItemSealer.seal(noise, id: keys.itemID(noise), type: .data, keys: keys, compressor: ZstdCompressor())
        #expect(item.entry.compression == 0 && item.bytes.count == 5032)
        #expect(try ItemSealer.open(item.bytes[...], entry: item.entry, keys: keys, dictionary: nil) == noise)
        let empty = try ItemSealer.seal([], id: keys.itemID([]), type: .data, keys: keys, compressor: ZstdCompressor())
        #expect(try ItemSealer.open(empty.bytes[...], entry: empty.entry, keys: keys, dictionary: nil) == [])
    }

    @Test func blobsRoundTrip() throws {
        var builder = BlobBuilder(kind: .pack)
        var items: [(ItemEntry, [UInt8])] = []
        for i in 0..<20 {
            let (bytes, entry, plaintext) = try sealed("item \(i) " + String(repeating: "x", count: i * 37))
            items.append((builder.append(bytes, entry: entry), plaintext))
        }
        let (blob, header) = try builder.finish(keys: keys, created: 1234)
        #expect(SegmentedPadme.isPadme(UInt64(blob.count)))
        let opened = try BlobHeader.open(tail: blob[...], blobLength: UInt64(blob.count), keys: keys)
        #expect(opened == header)
        #expect(opened.kind == .pack && opened.created == 1234 && opened.entries.count == 20)
        for (entry, plaintext) in items {
            let range = Int(entry.offset)..<(Int(entry.offset) + Int(entry.storedLength))
            #expect(try ItemSealer.open(blob[range], entry: entry, keys: keys, dictionary: nil) == plaintext)
        }
        // Another repository's key cannot open the header; a damaged trailer or header is refused.
        #expect(throws: RepositoryError.self) { _ = try BlobHeader.open(tail: blob[...], blobLength: UInt64(blob.count), keys: RepositoryKeys.generate()) }
        for back in [1, 3, 10, 29, 40, 100] {
            var damaged = blob
            damaged[blob.count - back] ^= 1
            #expect(throws: RepositoryError.self) { _ = try BlobHeader.open(tail: damaged[...], blobLength: UInt64(blob.count), keys: keys) }
        }
        #expect(throws: RepositoryError.self) { _ = try BlobHeader.open(tail: blob.suffix(20), blobLength: UInt64(blob.count), keys: keys) }
    }

    @Test func treesRoundTripAndRefuseEscapingNames() throws {
        let file = Tree.Entry(name: Array("a.txt".utf8), mode: 0o644, uid: 1, gid: 2, mtime: 1_700_000_000_123_456_789, ctime: -5,
                              inode: 7, device: 8, content: .file(size: 6, chunks: [keys.itemID([1]), keys.itemID([2])]))
        let link = Tree.Entry(name: Array("link".utf8), mode: 0o777, uid: 0, gid: 0, mtime: 0, ctime: 0, inode: 9, device: 8,
                              content: .symlink(Array("../somewhere/else".utf8)))
        let directory = Tree.Entry(name: [0xFF, 0xFE], mode: 0o755, uid: 0, gid: 0, mtime: 0, ctime: 0, inode: 10, device: 8,
                                   content: .directory(keys.itemID([3])))
        let tree = Tree(entries: [link, directory, file])
        let decoded = try Tree.decode(tree.encode())
        #expect(decoded == tree)
        #expect(decoded.entries.map(\.nameText).first == "a.txt")
        #expect(decoded.entry(named: Array("link".utf8)) == link)
        #expect(decoded.entry(named: Array("zzz".utf8)) == nil)
        for bad in ["..", ".", "", "a/b"] {
            var evil = file
            evil.name = Array(bad.utf8)
            #expect(throws: RepositoryError.self) { _ = try Tree.decode(Tree(sortedEntries: [evil]).encode()) }
        }
        #expect(throws: RepositoryError.self) { _ = try Tree.decode(Tree(sortedEntries: [file, file]).encode()) }
        let bytes = tree.encode()
        for cut in [0, 5, 12, bytes.count - 1] {
            #expect(throws: RepositoryError.self) { _ = try Tree.decode(Array(bytes.prefix(cut))) }
        }
    }

    @Test func snapshotsAndIndexesRoundTrip() throws {
        let snapshot = Snapshot(time: 1_765_000_000_000, root: keys.itemID([4]), chunker: .version2, files: 3, directories: 2, symlinks: 1,
                                bytes: 99, host: "host.example", paths: ["/data/a.txt", "/home/ü"])
        #expect(try Snapshot.decode(snapshot.encode()) == snapshot)
        #expect(throws: RepositoryError.self) { _ = try Snapshot.decode(Array(snapshot.encode().dropLast())) }
        let (_, entry, _) = try sealed("x")
        let index = PackIndex(packs: [PackRecord(root: Blake3.hash([1]), length: 4096, entries: [entry, entry]),
                                      PackRecord(root: Blake3.hash([2]), length: 100, entries: [])])
        #expect(try PackIndex.decode(index.encode()) == index)
        var outside = entry
        outside.offset = 4090
        let bad = PackIndex(packs: [PackRecord(root: Blake3.hash([1]), length: 4096, entries: [outside])])
        #expect(throws: RepositoryError.self) { _ = try PackIndex.decode(bad.encode()) }
        // A forged count cannot reserve memory beyond what the bytes hold.
        var forged = Array("MAIMOIX".utf8) + [2]
        forged += [0xFF, 0xFF, 0xFF, 0x7F]
        #expect(throws: RepositoryError.self) { _ = try PackIndex.decode(forged) }
    }
}

enum SegmentedPadme {
    static func isPadme(_ length: UInt64) -> Bool { MaimoCipher.SegmentedCiphertext.padme(length) == length }
}
import MaimoCipher
