/// An ordered map from byte-string keys to values: a two-level B-tree (a sorted array of
/// sorted leaves of at most `leafCapacity` keys). Point operations cost two binary searches
/// and a shift inside one leaf; scans walk leaves in order.
struct OrderedIndex<Value> {
    struct Leaf {
        var keys: [[UInt8]]
        var values: [Value]
    }

    static var leafCapacity: Int { 256 }

    private(set) var leaves: [Leaf] = []
    private(set) var count = 0

    init() {}

    /// Builds the index from pairs already sorted by key with no duplicates.
    init(sorted pairs: [([UInt8], Value)]) {
        let half = Self.leafCapacity / 2
        var start = 0
        while start < pairs.count {
            let end = min(pairs.count, start + half)
            leaves.append(Leaf(keys: pairs[start..<end].map(\.0), values: pairs[start..<end].map(\.1)))
            start = end
        }
        count = pairs.count
    }

    /// The leaf that holds `key` if it is present: the last leaf whose first key is ≤ `key`.
    private func leafIndex(for key: [UInt8]) -> Int {
        var low = 0, high = leaves.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if compareBytes(leaves[mid].keys[0], key) <= 0 { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// Position of the first key ≥ `key` in `keys`, and whether it is equal.
    private static func search(_ keys: [[UInt8]], _ key: [UInt8]) -> (Int, Bool) {
        var low = 0, high = keys.count
        while low < high {
            let mid = (low + high) / 2
            if compareBytes(keys[mid], key) < 0 { low = mid + 1 } else { high = mid }
        }
        return (low, low < keys.count && compareBytes(keys[low], key) == 0)
    }

    subscript(key: [UInt8]) -> Value? {
        guard !leaves.isEmpty else { return nil }
        let leaf = leafIndex(for: key)
        let (position, found) = Self.search(leaves[leaf].keys, key)
        return found ? leaves[leaf].values[position] : nil
    }

    /// Inserts or replaces; returns the value replaced.
    @discardableResult
    mutating func insert(_ key: [UInt8], _ value: Value) -> Value? {
        if leaves.isEmpty {
            leaves.append(Leaf(keys: [key], values: [value]))
            count = 1
            return nil
        }
        let leaf = leafIndex(for: key)
        let (position, found) = Self.search(leaves[leaf].keys, key)
        if found {
            let old = leaves[leaf].values[position]
            leaves[leaf].values[position] = value
            return old
        }
        leaves[leaf].keys.insert(key, at: position)
        leaves[leaf].values.insert(value, at: position)
        count += 1
        if leaves[leaf].keys.count > Self.leafCapacity {
            let half = leaves[leaf].keys.count / 2
            let right = Leaf(keys: Array(leaves[leaf].keys[half...]), values: Array(leaves[leaf].values[half...]))
            leaves[leaf].keys.removeSubrange(half...)
            leaves[leaf].values.removeSubrange(half...)
            leaves.insert(right, at: leaf + 1)
        }
        return nil
    }

    /// Updates the value of a present key in place; returns false when the key is absent.
    mutating func update(_ key: [UInt8], _ body: (inout Value) -> Void) -> Bool {
        guard !leaves.isEmpty else { return false }
        let leaf = leafIndex(for: key)
        let (position, found) = Self.search(leaves[leaf].keys, key)
        if found { body(&leaves[leaf].values[position]) }
        return found
    }

    /// Removes `key`; returns its value.
    @discardableResult
    mutating func remove(_ key: [UInt8]) -> Value? {
        guard !leaves.isEmpty else { return nil }
        let leaf = leafIndex(for: key)
        let (position, found) = Self.search(leaves[leaf].keys, key)
        guard found else { return nil }
        leaves[leaf].keys.remove(at: position)
        let old = leaves[leaf].values.remove(at: position)
        count -= 1
        if leaves[leaf].keys.isEmpty {
            leaves.remove(at: leaf)
        } else if leaf > 0 && leaves[leaf].keys.count + leaves[leaf - 1].keys.count < Self.leafCapacity / 2 {
            let merged = leaves.remove(at: leaf)
            leaves[leaf - 1].keys.append(contentsOf: merged.keys)
            leaves[leaf - 1].values.append(contentsOf: merged.values)
        }
        return old
    }

    /// Calls `body` for each pair with key ≥ `start`, in key order, until it returns false.
    func forEach(from start: [UInt8]? = nil, _ body: ([UInt8], Value) -> Bool) {
        guard !leaves.isEmpty else { return }
        var leaf = 0, position = 0
        if let start {
            leaf = leafIndex(for: start)
            position = Self.search(leaves[leaf].keys, start).0
        }
        while leaf < leaves.count {
            let current = leaves[leaf]
            while position < current.keys.count {
                if !body(current.keys[position], current.values[position]) { return }
                position += 1
            }
            leaf += 1
            position = 0
        }
    }
}
