/// Walks a table in key order: seek, next, previous. A cursor reads the snapshot of the
/// transaction that made it; use it only while that transaction is open.
public struct Cursor {
    let pager: Pager
    let root: ChildReference?
    /// The path from the root: each level's node and the position in it.
    private var path: [(NodeView, Int)] = []

    /// A node as the cursor sees it, committed or the transaction's own.
    struct NodeView {
        let isLeaf: Bool
        let keys: [[UInt8]]
        let values: [LeafValue]
        let children: [ChildReference]
    }

    init(pager: Pager, root: ChildReference?) {
        self.pager = pager
        self.root = root
    }

    private func view(_ reference: ChildReference) throws(IndexError) -> NodeView {
        switch reference {
        case .page(let number):
            let node = try pager.node(number)
            return NodeView(isLeaf: node.isLeaf, keys: node.keys, values: node.values, children: node.children.map { .page($0) })
        case .node(let node):
            return NodeView(isLeaf: node.isLeaf, keys: node.keys, values: node.values, children: node.children)
        }
    }

    /// Moves to the first key ≥ `key` (past the end when there is none).
    public mutating func seek(to key: [UInt8]) throws(IndexError) {
        path = []
        guard var reference = root else { return }
        while true {
            let node = try view(reference)
            if node.isLeaf {
                path.append((node, TreeEditor.search(node.keys, key).0))
                break
            }
            let index = TreeEditor.childIndex(node.keys, key)
            path.append((node, index))
            reference = node.children[index]
        }
        try settleForward()
    }

    /// Moves to the first key.
    public mutating func first() throws(IndexError) { try seek(to: []) }

    /// Moves to the last key.
    public mutating func last() throws(IndexError) {
        path = []
        guard var reference = root else { return }
        while true {
            let node = try view(reference)
            if node.isLeaf {
                path.append((node, node.keys.count - 1))
                break
            }
            path.append((node, node.children.count - 1))
            reference = node.children[node.children.count - 1]
        }
        try settleBackward()
    }

    /// The key and value under the cursor, or nil past either end.
    public func current() throws(IndexError) -> ([UInt8], [UInt8])? {
        guard let (leaf, index) = path.last, leaf.isLeaf, index >= 0, index < leaf.keys.count else { return nil }
        return (leaf.keys[index], try Values.load(leaf.values[index], pager: pager))
    }

    /// The key under the cursor, without loading its value.
    public var key: [UInt8]? {
        guard let (leaf, index) = path.last, leaf.isLeaf, index >= 0, index < leaf.keys.count else { return nil }
        return leaf.keys[index]
    }

    public mutating func next() throws(IndexError) {
        guard !path.isEmpty else { return }
        path[path.count - 1].1 += 1
        try settleForward()
    }

    /// Moves to the previous key (before the first one the cursor is exhausted).
    public mutating func previous() throws(IndexError) {
        guard !path.isEmpty else { return }
        path[path.count - 1].1 -= 1
        try settleBackward()
    }

    /// When the leaf position is past its end, climbs to the next subtree and descends to its first key.
    private mutating func settleForward() throws(IndexError) {
        while let (leaf, index) = path.last, index >= leaf.keys.count {
            path.removeLast()
            guard !path.isEmpty else {
                path = [(leaf, leaf.keys.count)]  // past the end
                return
            }
            path[path.count - 1].1 += 1
            var (node, position) = path[path.count - 1]
            while position >= node.children.count {
                path.removeLast()
                guard !path.isEmpty else {
                    path = [(leaf, leaf.keys.count)]
                    return
                }
                path[path.count - 1].1 += 1
                (node, position) = path[path.count - 1]
            }
            var reference = node.children[position]
            while true {
                let child = try view(reference)
                path.append((child, 0))
                if child.isLeaf { break }
                reference = child.children[0]
            }
        }
    }

    private mutating func settleBackward() throws(IndexError) {
        while let (leaf, index) = path.last, index < 0 {
            path.removeLast()
            guard !path.isEmpty else {
                path = [(leaf, -1)]
                return
            }
            path[path.count - 1].1 -= 1
            var (node, position) = path[path.count - 1]
            while position < 0 {
                path.removeLast()
                guard !path.isEmpty else {
                    path = [(leaf, -1)]
                    return
                }
                path[path.count - 1].1 -= 1
                (node, position) = path[path.count - 1]
            }
            var reference = node.children[position]
            while true {
                let child = try view(reference)
                let last = child.isLeaf ? child.keys.count - 1 : child.children.count - 1
                path.append((child, last))
                if child.isLeaf { break }
                reference = child.children[last]
            }
        }
    }

    /// Every key and value from `start` (inclusive) to `end` (exclusive) that starts with `prefix`.
    public mutating func scan(prefix: [UInt8] = [], from start: [UInt8]? = nil, to end: [UInt8]? = nil,
                              _ body: ([UInt8], [UInt8]) throws -> Bool) throws {
        var from = prefix
        if let start, compareBytes(start, from) > 0 { from = start }
        try seek(to: from)
        while let (key, value) = try current() {
            if let end, compareBytes(key, end) >= 0 { return }
            if !prefix.isEmpty && !key.starts(with: prefix) { return }
            if try !body(key, value) { return }
            try next()
        }
    }
}
