/// Page kinds and the 32-byte page header (`Docs/Index.md`, "Pages").
enum PageKind: UInt8 {
    case meta = 1
    case branch = 2
    case leaf = 3
    case overflow = 4
    case freelist = 5
}

enum PageLayout {
    static let headerSize = 32

    /// Fills in the checksum of a page whose other bytes are written.
    static func seal(_ page: UnsafeMutableRawBufferPointer, number: UInt64) {
        let crc = checksum(UnsafeRawBufferPointer(page), number: number)
        page.storeBytes(of: crc.littleEndian, toByteOffset: 0, as: UInt32.self)
    }

    static func checksum(_ page: UnsafeRawBufferPointer, number: UInt64) -> UInt32 {
        var crc = withUnsafeBytes(of: number.littleEndian) { CRC32C.checksum($0) }
        crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: page[4...]), continuing: crc)
        return crc
    }

    /// Checks the checksum and kind of a page read from the file.
    static func verify(_ page: UnsafeRawBufferPointer, number: UInt64, expecting kinds: Set<PageKind>) throws(IndexError) -> PageKind {
        let stored = UInt32(littleEndian: page.loadUnaligned(as: UInt32.self))
        guard checksum(page, number: number) == stored else { throw .corruptPage(page: number, reason: "checksum mismatch") }
        guard let kind = PageKind(rawValue: page[4]), kinds.contains(kind) else {
            throw .corruptPage(page: number, reason: "kind \(page[4]) where \(kinds.map(\.rawValue).sorted()) was expected")
        }
        return kind
    }

    static func writeHeader(_ page: UnsafeMutableRawBufferPointer, kind: PageKind, count: Int, transaction: UInt64,
                            link: UInt64, extra: UInt64 = 0) {
        page.storeBytes(of: UInt32(0), toByteOffset: 0, as: UInt32.self)
        page[4] = kind.rawValue
        page[5] = 0
        page.storeBytes(of: UInt16(count).littleEndian, toByteOffset: 6, as: UInt16.self)
        page.storeBytes(of: transaction.littleEndian, toByteOffset: 8, as: UInt64.self)
        page.storeBytes(of: link.littleEndian, toByteOffset: 16, as: UInt64.self)
        page.storeBytes(of: extra.littleEndian, toByteOffset: 24, as: UInt64.self)
    }

    static func count(_ page: UnsafeRawBufferPointer) -> Int { Int(UInt16(littleEndian: page.loadUnaligned(fromByteOffset: 6, as: UInt16.self))) }
    static func link(_ page: UnsafeRawBufferPointer) -> UInt64 { UInt64(littleEndian: page.loadUnaligned(fromByteOffset: 16, as: UInt64.self)) }
    static func extra(_ page: UnsafeRawBufferPointer) -> UInt64 { UInt64(littleEndian: page.loadUnaligned(fromByteOffset: 24, as: UInt64.self)) }
}

/// The state a meta page records.
struct Meta: Equatable, Sendable {
    static let magic: [UInt8] = Array("MAIMOIDX".utf8)
    static let version: UInt32 = 1

    var pageSize: Int
    var transaction: UInt64
    var catalogRoot: UInt64
    var freelist: UInt64
    var pageCount: UInt64

    func write(into page: UnsafeMutableRawBufferPointer, number: UInt64) {
        page.initializeMemory(as: UInt8.self, repeating: 0)
        PageLayout.writeHeader(page, kind: .meta, count: 0, transaction: transaction, link: 0)
        for (i, byte) in Self.magic.enumerated() { page[32 + i] = byte }
        page.storeBytes(of: Self.version.littleEndian, toByteOffset: 40, as: UInt32.self)
        page.storeBytes(of: UInt32(pageSize).littleEndian, toByteOffset: 44, as: UInt32.self)
        page.storeBytes(of: transaction.littleEndian, toByteOffset: 48, as: UInt64.self)
        page.storeBytes(of: catalogRoot.littleEndian, toByteOffset: 56, as: UInt64.self)
        page.storeBytes(of: freelist.littleEndian, toByteOffset: 64, as: UInt64.self)
        page.storeBytes(of: pageCount.littleEndian, toByteOffset: 72, as: UInt64.self)
        PageLayout.seal(page, number: number)
    }

    /// The meta in `page`, or why it is not valid.
    static func read(_ page: UnsafeRawBufferPointer, number: UInt64) -> Result<Meta, IndexError> {
        guard page.count >= 80, Array(page[32..<40]) == magic else {
            return .failure(.corruptPage(page: number, reason: "no MaimoIndex magic"))
        }
        let version = UInt32(littleEndian: page.loadUnaligned(fromByteOffset: 40, as: UInt32.self))
        guard version == Self.version else { return .failure(.corruptPage(page: number, reason: "format version \(version) is not supported")) }
        let size = Int(UInt32(littleEndian: page.loadUnaligned(fromByteOffset: 44, as: UInt32.self)))
        guard size == page.count else { return .failure(.corruptPage(page: number, reason: "page size \(size) does not match")) }
        do throws(IndexError) {
            _ = try PageLayout.verify(page, number: number, expecting: [.meta])
        } catch {
            return .failure(error)
        }
        func field(_ offset: Int) -> UInt64 { UInt64(littleEndian: page.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        return .success(Meta(pageSize: size, transaction: field(48), catalogRoot: field(56), freelist: field(64), pageCount: field(72)))
    }
}
