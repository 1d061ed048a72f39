/// How a repository places each blob on its providers (Docs/Repository.md §12): whole copies on
/// `N` providers, or Reed–Solomon shares on `N` distinct providers of which any `K` rebuild it.
/// Every copy but the first, and every share, is sealed with a key stream of its own, so no two
/// providers hold the same bytes.
public enum Redundancy: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Whole blobs on this many providers (`copies:N`).
    case copies(Int)
    /// `data`-of-`total` Reed–Solomon shares, one per provider (`K-of-N`).
    case erasure(data: Int, total: Int)

    /// The default: one copy, on the first provider.
    public static let single = Redundancy.copies(1)

    /// The largest N (shares are numbered with one byte).
    public static let maximumShares = 255

    /// Parses `copies:N` (or `N` copies as `copies:N`) and `K-of-N`.
    /// - Throws: ``RepositoryError/usage(_:)`` naming what is wrong.
    public init(parsing text: String) throws(RepositoryError) {
        let lowered = text.lowercased().trimmingCharacters(in: .whitespaces)
        if lowered.hasPrefix("copies:") {
            guard let count = Int(lowered.dropFirst(7)), count >= 1, count <= Self.maximumShares else {
                throw .usage("redundancy \(text): copies:N takes N from 1 to \(Self.maximumShares)")
            }
            self = .copies(count)
            return
        }
        let parts = lowered.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1] == "of", let k = Int(parts[0]), let n = Int(parts[2]) else {
            throw .usage("redundancy \(text): write copies:N (whole copies) or K-of-N (any K of N shares), e.g. copies:2 or 2-of-3")
        }
        guard k >= 1, n >= k, n <= Self.maximumShares else {
            throw .usage("redundancy \(text): K-of-N needs 1 ≤ K ≤ N ≤ \(Self.maximumShares)")
        }
        self = k == 1 && n == 1 ? .copies(1) : .erasure(data: k, total: n)
    }

    /// `copies:N` or `K-of-N`.
    public var description: String {
        switch self {
        case let .copies(n): return "copies:\(n)"
        case let .erasure(k, n): return "\(k)-of-\(n)"
        }
    }

    /// How many shares (or copies) each blob has, each on its own provider.
    public var shareCount: Int {
        switch self {
        case let .copies(n): return n
        case let .erasure(_, n): return n
        }
    }

    /// How many good shares rebuild a blob.
    public var needed: Int {
        switch self {
        case .copies: return 1
        case let .erasure(k, _): return k
        }
    }

    /// Stored bytes per byte of blob: N for copies, N/K for shares.
    public var overhead: Double { Double(shareCount) / Double(needed) }

    /// Its binary form in placement records and share trailers: u8 scheme (1 copies, 2 shares),
    /// u8 K (1 for copies), u8 N.
    func write(into writer: inout ByteWriter) {
        switch self {
        case let .copies(n): writer.u8(1); writer.u8(1); writer.u8(UInt8(n))
        case let .erasure(k, n): writer.u8(2); writer.u8(UInt8(k)); writer.u8(UInt8(n))
        }
    }

    /// Reads ``write(into:)``'s three bytes.
    static func read(from reader: inout ByteReader) throws(RepositoryError) -> Redundancy {
        let scheme = try reader.u8(), k = Int(try reader.u8()), n = Int(try reader.u8())
        switch scheme {
        case 1 where k == 1 && n >= 1: return .copies(n)
        case 2 where k >= 1 && n >= k: return .erasure(data: k, total: n)
        default: throw reader.fail("unknown redundancy scheme \(scheme) (\(k) of \(n))")
        }
    }
}

import Foundation
