/// A consistent, read-only view of the database as of one commit. Never blocked by the writer
/// and never sees its uncommitted changes. Not to be shared between threads; open one per task.
public final class ReadTransaction {
    let database: IndexDatabase
    let meta: Meta
    private var ended = false

    init(database: IndexDatabase, meta: Meta) {
        self.database = database
        self.meta = meta
    }

    deinit { end() }

    /// The id of the commit this transaction sees.
    public var snapshot: UInt64 { meta.transaction }

    /// Releases the snapshot so that the pages only it could see can be reused.
    public func end() {
        if !ended {
            ended = true
            database.endRead(meta.transaction)
        }
    }

    func tableRoot(_ name: String) throws(IndexError) -> (root: ChildReference?, count: UInt64)? {
        guard meta.catalogRoot != 0 else { return nil }
        guard let value = try TreeReader.lookup(Array(name.utf8), from: .page(meta.catalogRoot), pager: database.pager) else { return nil }
        return try Catalog.decode(value, table: name)
    }

    /// The value of `key` in `table`, or nil. Throws ``IndexError/noSuchTable(_:)`` for an unknown table.
    public func get(_ table: String, _ key: [UInt8]) throws(IndexError) -> [UInt8]? {
        guard let (root, _) = try tableRoot(table) else { throw .noSuchTable(table) }
        guard let root, let value = try TreeReader.lookup(key, from: root, pager: database.pager) else { return nil }
        return try Values.load(value, pager: database.pager)
    }

    /// The number of keys in `table`.
    public func count(_ table: String) throws(IndexError) -> UInt64 {
        guard let (_, count) = try tableRoot(table) else { throw .noSuchTable(table) }
        return count
    }

    /// The names of all tables, in order.
    public func tables() throws(IndexError) -> [String] {
        guard meta.catalogRoot != 0 else { return [] }
        var names: [String] = []
        var cursor = Cursor(pager: database.pager, root: .page(meta.catalogRoot))
        try cursor.seek(to: [])
        while let (key, _) = try cursor.current() {
            names.append(String(decoding: key, as: UTF8.self))
            try cursor.next()
        }
        return names
    }

    /// A cursor over `table` in key order.
    public func cursor(_ table: String) throws(IndexError) -> Cursor {
        guard let (root, _) = try tableRoot(table) else { throw .noSuchTable(table) }
        return Cursor(pager: database.pager, root: root)
    }
}

/// The one write transaction: changes are private copies of the pages they touch until
/// ``commit()`` writes them as new pages and flips the meta page.
public final class WriteTransaction {
    let database: IndexDatabase
    let base: Meta
    var editor: TreeEditor
    /// Tables read or changed in this transaction: their current root and key count.
    var tables: [String: (root: ChildReference?, count: UInt64, changed: Bool)] = [:]
    var dropped: Set<String> = []
    let reusable: [UInt64]
    let kept: [(UInt64, UInt64)]
    let freelistPages: [UInt64]
    private var finished = false

    init(database: IndexDatabase, meta: Meta, reusable: [UInt64], kept: [(UInt64, UInt64)], freelistPages: [UInt64]) {
        self.database = database
        base = meta
        editor = TreeEditor(pager: database.pager)
        self.reusable = reusable
        self.kept = kept
        self.freelistPages = freelistPages
    }

    deinit { if !finished { rollback() } }

    private func check() throws(IndexError) {
        if finished { throw .transactionFinished }
    }

    private func table(_ name: String, create: Bool) throws(IndexError) -> (root: ChildReference?, count: UInt64, changed: Bool)? {
        if let state = tables[name] { return state }
        if dropped.contains(name) && !create { return nil }
        var found: (root: ChildReference?, count: UInt64)?
        if base.catalogRoot != 0, !dropped.contains(name),
           let value = try TreeReader.lookup(Array(name.utf8), from: .page(base.catalogRoot), pager: database.pager) {
            found = try Catalog.decode(value, table: name)
        }
        if let found {
            tables[name] = (found.root, found.count, false)
        } else if create {
            guard !name.isEmpty, name.utf8.count <= 255 else { throw .invalidTableName(name) }
            tables[name] = (nil, 0, true)
            dropped.remove(name)
        } else {
            return nil
        }
        return tables[name]
    }

    /// Creates `table` if it does not exist.
    public func createTable(_ name: String) throws(IndexError) {
        try check()
        _ = try table(name, create: true)
    }

    /// Deletes `table` and every key in it.
    public func dropTable(_ name: String) throws(IndexError) {
        try check()
        guard let state = try table(name, create: false) else { throw .noSuchTable(name) }
        if let root = state.root { try freeTree(root) }
        tables[name] = nil
        dropped.insert(name)
    }

    private func freeTree(_ reference: ChildReference) throws(IndexError) {
        switch reference {
        case .page(let number):
            let node = try database.pager.node(number)
            editor.freed.append(number)
            if node.isLeaf { for value in node.values { editor.release(value) } }
            else { for child in node.children { try freeTree(.page(child)) } }
        case .node(let node):
            if node.isLeaf { for value in node.values { editor.release(value) } }
            else { for child in node.children { try freeTree(child) } }
        }
    }

    /// Stores `value` under `key` in `table`, creating the table if needed.
    public func put(_ table: String, _ key: [UInt8], _ value: [UInt8]) throws(IndexError) {
        try check()
        guard !key.isEmpty, key.count <= NodeCodec.maximumKey(pageSize: database.pager.pageSize) else { throw .invalidKey(length: key.count) }
        let state = try self.table(table, create: true)!
        let inlineFits = NodeCodec.leafCellSize(key: key, value: .inline(value)) <= NodeCodec.maximumCell(pageSize: database.pager.pageSize)
        let (root, added) = try editor.insert(key, inlineFits ? .inline(value) : .pendingOverflow(value), root: state.root)
        tables[table] = (root, state.count + (added ? 1 : 0), true)
    }

    /// Removes `key` from `table`; returns whether it was there.
    @discardableResult
    public func delete(_ table: String, _ key: [UInt8]) throws(IndexError) -> Bool {
        try check()
        guard let state = try self.table(table, create: false) else { throw .noSuchTable(table) }
        let (root, removed) = try editor.remove(key, root: state.root)
        if removed { tables[table] = (root, state.count - 1, true) }
        return removed
    }

    /// The value of `key` in `table` as this transaction has it, or nil.
    public func get(_ table: String, _ key: [UInt8]) throws(IndexError) -> [UInt8]? {
        try check()
        guard let state = try self.table(table, create: false) else { throw .noSuchTable(table) }
        guard let root = state.root, let value = try TreeReader.lookup(key, from: root, pager: database.pager) else { return nil }
        return try Values.load(value, pager: database.pager)
    }

    /// A cursor over `table` as this transaction has it.
    public func cursor(_ table: String) throws(IndexError) -> Cursor {
        try check()
        guard let state = try self.table(table, create: false) else { throw .noSuchTable(table) }
        return Cursor(pager: database.pager, root: state.root)
    }

    /// The number of keys in `table`.
    public func count(_ table: String) throws(IndexError) -> UInt64 {
        try check()
        guard let state = try self.table(table, create: false) else { throw .noSuchTable(table) }
        return state.count
    }

    /// Discards every change.
    public func rollback() {
        guard !finished else { return }
        finished = true
        database.state.lock.lock()
        database.state.writerActive = false
        database.state.lock.broadcast()
        database.state.lock.unlock()
    }

    /// Writes the changed pages, syncs, writes the meta page, syncs: durable when it returns.
    /// On an error nothing is committed and the transaction is finished.
    public func commit() throws(IndexError) {
        try check()
        defer { rollback() }
        var writer = CommitWriter(pager: database.pager, transaction: base.transaction + 1, reusable: reusable,
                                  pageCount: base.pageCount)
        // Tables first, then the catalogue that names their roots.
        var catalogRoot: ChildReference? = base.catalogRoot == 0 ? nil : .page(base.catalogRoot)
        var catalog = TreeEditor(pager: database.pager)
        for name in dropped where tables[name] == nil {
            catalogRoot = try catalog.remove(Array(name.utf8), root: catalogRoot).0
        }
        for (name, state) in tables.sorted(by: { $0.key < $1.key }) where state.changed {
            var rootPage: UInt64 = 0
            if let root = state.root { rootPage = try writer.write(root) }
            catalogRoot = try catalog.insert(Array(name.utf8), .inline(Catalog.encode(root: rootPage, count: state.count)), root: catalogRoot).0
        }
        let catalogPage = try catalogRoot.map { (root) throws(IndexError) in try writer.write(root) } ?? 0
        // Everything freed now may be reused once no reader older than this commit remains.
        var pendingFree = kept
        for page in editor.freed + catalog.freed { pendingFree.append((page, base.transaction + 1)) }
        for page in freelistPages { pendingFree.append((page, base.transaction + 1)) }
        let (freelistPage, free, chain) = writer.writeFreelist(pendingFree, reusableTag: base.transaction)
        try writer.flush()
        let meta = Meta(pageSize: database.pager.pageSize, transaction: base.transaction + 1, catalogRoot: catalogPage,
                        freelist: freelistPage, pageCount: writer.pageCount)
        if database.state.options.syncCommits { try database.pager.sync() }
        var page = [UInt8](repeating: 0, count: database.pager.pageSize)
        page.withUnsafeMutableBytes { meta.write(into: $0, number: meta.transaction % 2) }
        try database.pager.write(page, at: meta.transaction % 2)
        if database.state.options.syncCommits { try database.pager.sync() }
        database.state.lock.lock()
        database.state.meta = meta
        database.state.freePages = free
        database.state.freelistPages = chain
        database.state.lock.unlock()
    }
}

/// Catalogue values: a table's root page and key count.
enum Catalog {
    static func encode(root: UInt64, count: UInt64) -> [UInt8] {
        withUnsafeBytes(of: root.littleEndian) { Array($0) } + withUnsafeBytes(of: count.littleEndian) { Array($0) }
    }

    static func decode(_ value: LeafValue, table: String) throws(IndexError) -> (root: ChildReference?, count: UInt64) {
        guard case .inline(let bytes) = value, bytes.count == 16 else {
            throw .badFile(path: table, reason: "catalogue entry of table \(table) is malformed")
        }
        let root = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        let count = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }
        return (root == 0 ? nil : .page(root), count)
    }
}

/// Reading values that may live in overflow pages.
enum Values {
    static func load(_ value: LeafValue, pager: Pager) throws(IndexError) -> [UInt8] {
        switch value {
        case .inline(let bytes), .pendingOverflow(let bytes): return bytes
        case .overflow(let first, let length):
            var result: [UInt8] = []
            result.reserveCapacity(Int(length))
            var number = first
            while UInt64(result.count) < length {
                let page = try pager.read(number)
                let part = try page.withUnsafeBytes { (raw) -> Result<[UInt8], IndexError> in
                    do throws(IndexError) {
                        _ = try PageLayout.verify(raw, number: number, expecting: [.overflow])
                        let bytes = Int(PageLayout.extra(raw))
                        guard bytes > 0, bytes <= raw.count - PageLayout.headerSize,
                              UInt64(result.count + bytes) <= length
                        else { throw .corruptPage(page: number, reason: "overflow page holds \(bytes) bytes") }
                        return .success(Array(raw[PageLayout.headerSize..<(PageLayout.headerSize + bytes)]))
                    } catch {
                        return .failure(error)
                    }
                }.get()
                result += part
                number += 1
            }
            return result
        }
    }
}
