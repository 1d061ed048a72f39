/// What ``IndexDatabase/check()`` found.
public struct IndexCheckReport: Sendable {
    /// Pages in the file.
    public var pages: UInt64 = 0
    /// Pages reached from the roots of the tables.
    public var reachablePages = 0
    /// Pages on the free list.
    public var freePages = 0
    /// Tables found.
    public var tables = 0
    /// Keys found in all tables.
    public var keys: UInt64 = 0
    /// Every problem found: corrupt pages, keys out of order, wrong counts, pages lost or used twice.
    public var problems: [IndexError] = []
    /// True when no problem was found.
    public var isHealthy: Bool { problems.isEmpty }
}

extension IndexDatabase {
    /// Reads every page reachable from the newest commit and checks checksums, key order inside
    /// and across pages, table key counts, and that every page is used exactly once: by a tree,
    /// an overflow value, the freelist, or as free.
    public func check() throws(IndexError) -> IndexCheckReport {
        let transaction = try beginRead()
        defer { transaction.end() }
        let meta = transaction.meta
        var report = IndexCheckReport()
        report.pages = meta.pageCount
        var owner: [UInt64: String] = [0: "meta", 1: "meta"]

        func claim(_ page: UInt64, _ what: String) {
            if page >= meta.pageCount {
                report.problems.append(.corruptPage(page: page, reason: "\(what) points past the page count \(meta.pageCount)"))
            } else if let other = owner[page] {
                report.problems.append(.corruptPage(page: page, reason: "used by \(what) and by \(other)"))
            } else {
                owner[page] = what
            }
        }

        /// Walks a tree; returns its number of keys. `low` and `high` bound its keys.
        func walk(_ page: UInt64, _ what: String, low: [UInt8]?, high: [UInt8]?, depth: Int) -> UInt64 {
            claim(page, what)
            guard depth < 64 else {
                report.problems.append(.corruptPage(page: page, reason: "tree deeper than 64 levels"))
                return 0
            }
            let node: Node
            do throws(IndexError) { node = try pager.node(page) } catch {
                report.problems.append(error)
                return 0
            }
            if let low, let first = node.keys.first, compareBytes(first, low) < 0 {
                report.problems.append(.corruptPage(page: page, reason: "key below its parent's separator"))
            }
            if let high, let last = node.keys.last, compareBytes(last, high) >= 0 {
                report.problems.append(.corruptPage(page: page, reason: "key at or above the next separator"))
            }
            if node.isLeaf {
                for value in node.values {
                    if case .overflow(let first, let length) = value {
                        let perPage = UInt64(pager.pageSize - PageLayout.headerSize)
                        for overflow in first..<(first + (length + perPage - 1) / perPage) { claim(overflow, "\(what) overflow") }
                        do throws(IndexError) { _ = try Values.load(value, pager: pager) } catch { report.problems.append(error) }
                    }
                }
                return UInt64(node.keys.count)
            }
            var total: UInt64 = 0
            for (index, child) in node.children.enumerated() {
                total += walk(child, what, low: index == 0 ? low : node.keys[index - 1],
                              high: index < node.keys.count ? node.keys[index] : high, depth: depth + 1)
            }
            return total
        }

        if meta.catalogRoot != 0 {
            _ = walk(meta.catalogRoot, "the catalogue", low: nil, high: nil, depth: 0)
            for name in (try? transaction.tables()) ?? [] {
                report.tables += 1
                guard let (root, count) = try? transaction.tableRoot(name) else { continue }
                guard case .page(let page) = root else {
                    if count != 0 { report.problems.append(.badFile(path: path, reason: "empty table \(name) records \(count) keys")) }
                    continue
                }
                let keys = walk(page, "table \(name)", low: nil, high: nil, depth: 0)
                report.keys += keys
                if keys != count {
                    report.problems.append(.badFile(path: path, reason: "table \(name) records \(count) keys but holds \(keys)"))
                }
            }
        }
        report.reachablePages = owner.count - 2
        do throws(IndexError) {
            let (free, chain) = try Freelist.read(from: meta.freelist, pager: pager)
            for page in chain { claim(page, "the freelist") }
            for (page, _) in free { claim(page, "the free pages") }
            report.freePages = free.count
        } catch {
            report.problems.append(error)
        }
        for page in 0..<meta.pageCount where owner[page] == nil {
            report.problems.append(.corruptPage(page: page, reason: "page is neither used nor free (leaked)"))
        }
        return report
    }
}
