/// A node a write transaction has changed: a private copy that becomes a new page at commit.
final class MutableNode {
    var isLeaf: Bool
    var keys: [[UInt8]]
    var values: [LeafValue]
    var children: [ChildReference]

    init(isLeaf: Bool, keys: [[UInt8]], values: [LeafValue], children: [ChildReference]) {
        self.isLeaf = isLeaf
        self.keys = keys
        self.values = values
        self.children = children
    }

    convenience init(_ node: Node) {
        self.init(isLeaf: node.isLeaf, keys: node.keys, values: node.values, children: node.children.map { .page($0) })
    }
}

/// A child (or a table's root): a committed page, or a node changed in this transaction.
enum ChildReference {
    case page(UInt64)
    case node(MutableNode)
}

/// Copy-on-write edits of one B+tree. Committed pages the edit replaces are reported through
/// `free`, so that the transaction frees them at its id.
struct TreeEditor {
    let pager: Pager
    let pageSize: Int
    var freed: [UInt64] = []

    init(pager: Pager) {
        self.pager = pager
        pageSize = pager.pageSize
    }

    /// The mutable version of `reference`, copying (and freeing) a committed page.
    mutating func mutable(_ reference: ChildReference) throws(IndexError) -> MutableNode {
        switch reference {
        case .node(let node): return node
        case .page(let number):
            freed.append(number)
            return MutableNode(try pager.node(number))
        }
    }

    /// Index of the child of a branch that holds `key`.
    static func childIndex(_ keys: [[UInt8]], _ key: [UInt8]) -> Int {
        var low = 0, high = keys.count
        while low < high {
            let mid = (low + high) / 2
            if compareBytes(keys[mid], key) <= 0 { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// First position in `keys` whose key is ≥ `key`, and whether it is equal.
    static func search(_ keys: [[UInt8]], _ key: [UInt8]) -> (Int, Bool) {
        var low = 0, high = keys.count
        while low < high {
            let mid = (low + high) / 2
            if compareBytes(keys[mid], key) < 0 { low = mid + 1 } else { high = mid }
        }
        return (low, low < keys.count && compareBytes(keys[low], key) == 0)
    }

    /// Frees the pages of an overflow value that is being replaced or deleted.
    mutating func release(_ value: LeafValue) {
        if case .overflow(let first, let length) = value {
            let perPage = UInt64(pageSize - PageLayout.headerSize)
            let pages = (length + perPage - 1) / perPage
            for page in first..<(first + pages) { freed.append(page) }
        }
    }

    /// Inserts or replaces; returns the new root and whether the key is new.
    mutating func insert(_ key: [UInt8], _ value: LeafValue, root: ChildReference?) throws(IndexError) -> (ChildReference, Bool) {
        guard let root else {
            return (.node(MutableNode(isLeaf: true, keys: [key], values: [value], children: [])), true)
        }
        let node = try mutable(root)
        let (split, added) = try insert(key, value, into: node)
        guard let (separator, right) = split else { return (.node(node), added) }
        let top = MutableNode(isLeaf: false, keys: [separator], values: [], children: [.node(node), .node(right)])
        return (.node(top), added)
    }

    private mutating func insert(_ key: [UInt8], _ value: LeafValue, into node: MutableNode) throws(IndexError) -> (([UInt8], MutableNode)?, Bool) {
        var added = false
        var atEnd = false
        if node.isLeaf {
            let (position, found) = Self.search(node.keys, key)
            atEnd = position == node.keys.count
            if found {
                release(node.values[position])
                node.values[position] = value
            } else {
                node.keys.insert(key, at: position)
                node.values.insert(value, at: position)
                added = true
            }
        } else {
            let index = Self.childIndex(node.keys, key)
            let child = try mutable(node.children[index])
            node.children[index] = .node(child)
            let (split, childAdded) = try insert(key, value, into: child)
            added = childAdded
            if let (separator, right) = split {
                node.keys.insert(separator, at: index)
                node.children.insert(.node(right), at: index + 1)
                atEnd = index + 2 == node.children.count
            }
        }
        return (splitIfNeeded(node, appending: atEnd), added)
    }

    /// Splits a node that no longer fits a page in two of about equal bytes; returns the
    /// separator and the right half. When the overflow came from appending at the node's end
    /// (keys inserted in order, as a bulk load or compaction does), the left node stays full
    /// and the right one starts nearly empty, so that ordered loads fill their pages.
    private func splitIfNeeded(_ node: MutableNode, appending: Bool) -> ([UInt8], MutableNode)? {
        let size = NodeCodec.encodedSize(isLeaf: node.isLeaf, keys: node.keys, values: node.values)
        guard size > pageSize else { return nil }
        if appending && node.keys.count >= (node.isLeaf ? 2 : 3) {
            let cut = node.keys.count - (node.isLeaf ? 1 : 2)
            return split(node, at: cut)
        }
        var running = PageLayout.headerSize
        var cut = 1
        for index in 0..<node.keys.count {
            running += 2 + (node.isLeaf ? NodeCodec.leafCellSize(key: node.keys[index], value: node.values[index])
                                        : NodeCodec.branchCellSize(key: node.keys[index]))
            if running > size / 2 + PageLayout.headerSize / 2 { cut = max(1, index); break }
        }
        cut = min(max(cut, 1), node.keys.count - 1)
        return split(node, at: cut)
    }

    private func split(_ node: MutableNode, at cut: Int) -> ([UInt8], MutableNode) {
        if node.isLeaf {
            let right = MutableNode(isLeaf: true, keys: Array(node.keys[cut...]), values: Array(node.values[cut...]), children: [])
            node.keys.removeSubrange(cut...)
            node.values.removeSubrange(cut...)
            return (right.keys[0], right)
        }
        // A branch: the key at the cut moves up; its right child starts the right node.
        let separator = node.keys[cut]
        let right = MutableNode(isLeaf: false, keys: Array(node.keys[(cut + 1)...]), values: [],
                                children: Array(node.children[(cut + 1)...]))
        node.keys.removeSubrange(cut...)
        node.children.removeSubrange((cut + 1)...)
        return (separator, right)
    }

    /// Removes `key`; returns the new root (nil when the tree is empty) and whether it was there.
    mutating func remove(_ key: [UInt8], root: ChildReference?) throws(IndexError) -> (ChildReference?, Bool) {
        guard let root else { return (nil, false) }
        // Look first, so that a miss copies no page.
        guard try contains(key, in: root) else { return (root, false) }
        var node = try mutable(root)
        _ = try remove(key, from: node)
        // Collapse an empty leaf root and branch roots with a single child.
        while true {
            if node.isLeaf { return (node.keys.isEmpty ? nil : .node(node), true) }
            if node.keys.isEmpty {
                node = try mutable(node.children[0])
                continue
            }
            return (.node(node), true)
        }
    }

    /// Returns true when `node` became empty and should be removed from its parent.
    private mutating func remove(_ key: [UInt8], from node: MutableNode) throws(IndexError) -> Bool {
        if node.isLeaf {
            let (position, found) = Self.search(node.keys, key)
            if found {
                release(node.values[position])
                node.keys.remove(at: position)
                node.values.remove(at: position)
            }
            return node.keys.isEmpty
        }
        let index = Self.childIndex(node.keys, key)
        let child = try mutable(node.children[index])
        node.children[index] = .node(child)
        if try remove(key, from: child) {
            node.children.remove(at: index)
            node.keys.remove(at: index == 0 ? 0 : index - 1)
            return node.children.isEmpty
        }
        try mergeIfSmall(node, at: index)
        return false
    }

    /// Merges child `index` with a neighbour when both fit one page together, so that deletes do
    /// not leave a tree of nearly empty pages.
    private mutating func mergeIfSmall(_ parent: MutableNode, at index: Int) throws(IndexError) {
        guard parent.children.count > 1, case .node(let child) = parent.children[index] else { return }
        let childSize = NodeCodec.encodedSize(isLeaf: child.isLeaf, keys: child.keys, values: child.values)
        guard childSize < pageSize / 4 else { return }
        let left = index > 0 ? index - 1 : index
        let a = try mutable(parent.children[left])
        let b = try mutable(parent.children[left + 1])
        let separator = parent.keys[left]
        let sizeA = NodeCodec.encodedSize(isLeaf: a.isLeaf, keys: a.keys, values: a.values)
        let sizeB = NodeCodec.encodedSize(isLeaf: b.isLeaf, keys: b.keys, values: b.values)
        let extra = a.isLeaf ? 0 : 2 + NodeCodec.branchCellSize(key: separator)
        guard sizeA + sizeB - PageLayout.headerSize + extra <= pageSize else {
            parent.children[left] = .node(a)
            parent.children[left + 1] = .node(b)
            return
        }
        if a.isLeaf {
            a.keys += b.keys
            a.values += b.values
        } else {
            a.keys += [separator] + b.keys
            a.children += b.children
        }
        parent.children[left] = .node(a)
        parent.children.remove(at: left + 1)
        parent.keys.remove(at: left)
    }

    func contains(_ key: [UInt8], in root: ChildReference) throws(IndexError) -> Bool {
        try TreeReader.lookup(key, from: root, pager: pager) != nil
    }
}

/// Lookups and scans over committed pages or a transaction's own nodes.
enum TreeReader {
    static func lookup(_ key: [UInt8], from root: ChildReference, pager: Pager) throws(IndexError) -> LeafValue? {
        var reference = root
        while true {
            switch reference {
            case .page(let number):
                let node = try pager.node(number)
                if node.isLeaf {
                    let (position, found) = TreeEditor.search(node.keys, key)
                    return found ? node.values[position] : nil
                }
                reference = .page(node.children[TreeEditor.childIndex(node.keys, key)])
            case .node(let node):
                if node.isLeaf {
                    let (position, found) = TreeEditor.search(node.keys, key)
                    return found ? node.values[position] : nil
                }
                reference = node.children[TreeEditor.childIndex(node.keys, key)]
            }
        }
    }
}
