/// Turns a transaction's changed nodes into new pages: children before parents, overflow values
/// before their leaves, then the freelist; pages are batched and written in page order.
struct CommitWriter {
    let pager: Pager
    let transaction: UInt64
    private var reusable: [UInt64]
    private(set) var pageCount: UInt64
    private var pending: [(UInt64, [UInt8], Node?)] = []

    init(pager: Pager, transaction: UInt64, reusable: [UInt64], pageCount: UInt64) {
        self.pager = pager
        self.transaction = transaction
        self.reusable = reusable.sorted(by: >)
        self.pageCount = pageCount
    }

    private mutating func allocate() -> UInt64 {
        if let page = reusable.popLast() { return page }
        pageCount += 1
        return pageCount - 1
    }

    /// Writes a tree; returns its root page.
    mutating func write(_ reference: ChildReference) throws(IndexError) -> UInt64 {
        switch reference {
        case .page(let number): return number
        case .node(let node):
            var children: [UInt64] = []
            if !node.isLeaf {
                for child in node.children { children.append(try write(child)) }
            } else {
                for (index, value) in node.values.enumerated() {
                    if case .pendingOverflow(let bytes) = value { node.values[index] = writeOverflow(bytes) }
                }
            }
            let number = allocate()
            var page = [UInt8](repeating: 0, count: pager.pageSize)
            page.withUnsafeMutableBytes {
                NodeCodec.encode(isLeaf: node.isLeaf, keys: node.keys, values: node.values, children: children,
                                 into: $0, number: number, transaction: transaction)
            }
            let decoded = Node(isLeaf: node.isLeaf, keys: node.keys, values: node.values, children: children)
            pending.append((number, page, decoded))
            return number
        }
    }

    /// A large value as a run of consecutive pages at the end of the file.
    private mutating func writeOverflow(_ bytes: [UInt8]) -> LeafValue {
        let perPage = pager.pageSize - PageLayout.headerSize
        let pages = (bytes.count + perPage - 1) / perPage
        let first = pageCount
        pageCount += UInt64(pages)
        for index in 0..<pages {
            let start = index * perPage
            let end = min(bytes.count, start + perPage)
            var page = [UInt8](repeating: 0, count: pager.pageSize)
            let number = first + UInt64(index)
            page.withUnsafeMutableBytes { raw in
                PageLayout.writeHeader(raw, kind: .overflow, count: 0, transaction: transaction,
                                       link: index + 1 < pages ? number + 1 : 0, extra: UInt64(end - start))
                bytes.withUnsafeBytes { source in
                    (raw.baseAddress! + PageLayout.headerSize).copyMemory(from: source.baseAddress! + start, byteCount: end - start)
                }
                PageLayout.seal(raw, number: number)
            }
            pending.append((number, page, nil))
        }
        return .overflow(page: first, length: UInt64(bytes.count))
    }

    /// Writes the freelist: `freed` plus every reusable page this commit did not use (tagged
    /// `reusableTag`). Its own pages come from those reusable pages first, then from the end of
    /// the file; taking them from the end every time would grow the list, and the file, without
    /// bound. Returns the first page (0 if empty), the entries written, and the chain's pages.
    mutating func writeFreelist(_ freed: [(UInt64, UInt64)], reusableTag: UInt64) -> (UInt64, [(UInt64, UInt64)], [UInt64]) {
        let perPage = (pager.pageSize - PageLayout.headerSize) / 16
        func pagesFor(_ entries: Int) -> Int { (entries + perPage - 1) / perPage }
        var chosen: [UInt64] = []
        while chosen.count < pagesFor(freed.count + reusable.count), let page = reusable.popLast() {
            chosen.append(page)
        }
        while chosen.count < pagesFor(freed.count + reusable.count) {
            chosen.append(pageCount)
            pageCount += 1
        }
        let entries = freed + reusable.map { ($0, reusableTag) }
        reusable = []
        guard !entries.isEmpty else { return (0, [], []) }
        for (index, number) in chosen.enumerated() {
            let slice = entries[(index * perPage)..<min(entries.count, (index + 1) * perPage)]
            var page = [UInt8](repeating: 0, count: pager.pageSize)
            page.withUnsafeMutableBytes { raw in
                PageLayout.writeHeader(raw, kind: .freelist, count: 0, transaction: transaction,
                                       link: index + 1 < chosen.count ? chosen[index + 1] : 0, extra: UInt64(slice.count))
                for (i, (freed, by)) in slice.enumerated() {
                    raw.storeBytes(of: freed.littleEndian, toByteOffset: PageLayout.headerSize + 16 * i, as: UInt64.self)
                    raw.storeBytes(of: by.littleEndian, toByteOffset: PageLayout.headerSize + 16 * i + 8, as: UInt64.self)
                }
                PageLayout.seal(raw, number: number)
            }
            pending.append((number, page, nil))
        }
        return (chosen[0], entries, chosen)
    }

    /// Writes every pending page in page order and updates the cache.
    mutating func flush() throws(IndexError) {
        try pager.ensureCapacity(pages: pageCount)
        pending.sort { $0.0 < $1.0 }
        for (number, page, node) in pending {
            try pager.write(page, at: number)
            if let node { pager.remember(node, at: number) } else { pager.forget(number) }
        }
        pending = []
    }
}
