#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Maimo
import MaimoBlake3

/// The allow-list (`STORE/allowed-clients`): one client per line, its node ID and an optional
/// quota in bytes; `#` starts a comment.
extension ProviderStore {
    var allowListPath: String { directory + "/allowed-clients" }

    /// Adds (or updates) a client on the allow-list of the store in `directory`; the file is
    /// read at every handshake, so a running provider sees the change at once. A list that exists
    /// but cannot be read is left as it is (and the error said), never rewritten from scratch.
    public static func allow(client: NodeID, quota: UInt64?, inDirectory directory: String) throws(MaimoError) {
        let name = client.description
        var lines = try allowListLines(inDirectory: directory)
        lines.removeAll { $0.split(separator: " ").first.map(String.init) == name }
        lines.append(quota.map { "\(name) \($0)" } ?? name)
        try writeAllowList(lines, inDirectory: directory)
    }

    /// Removes a client from the allow-list and deletes what it has staged; a running provider
    /// ends the client's sessions at their next request and refuses new ones. Returns whether
    /// the client was on the list. (Its stored blobs stay until an operator deletes them.)
    @discardableResult
    public static func deny(client: NodeID, inDirectory directory: String) throws(MaimoError) -> Bool {
        let name = client.description
        var lines = try allowListLines(inDirectory: directory)
        let before = lines.count
        lines.removeAll { $0.split(separator: " ").first.map(String.init) == name }
        try writeAllowList(lines, inDirectory: directory)
        let prefix = hexString(client.bytes) + "-"
        for file in (try? FileManager.default.contentsOfDirectory(atPath: directory + "/staging")) ?? [] where file.hasPrefix(prefix) {
            unlink(directory + "/staging/" + file)
        }
        return lines.count < before
    }

    private static func allowListLines(inDirectory directory: String) throws(MaimoError) -> [String] {
        let path = directory + "/allowed-clients"
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        do {
            return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        } catch {
            throw .io("reading \(path): \(error.localizedDescription) (left as it is)")
        }
    }

    private static func writeAllowList(_ lines: [String], inDirectory directory: String) throws(MaimoError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try (lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")).write(toFile: directory + "/allowed-clients", atomically: true, encoding: .utf8)
        } catch {
            throw .io("writing \(directory)/allowed-clients: \(error.localizedDescription)")
        }
    }

    /// The allow-list: node ID → quota (nil: the default). A quota that is not a number gives
    /// that client a quota of 0 (it may connect and read, not store): a typo never means
    /// unlimited. Parsed again only when the file changed.
    func allowList() -> [[UInt8]: UInt64?] {
        var info = Glibc.stat()
        let stamp = lstat(allowListPath, &info) == 0
            ? [Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec), Int64(info.st_size), Int64(info.st_ino)] : []
        allowListLock.lock()
        defer { allowListLock.unlock() }
        if let cached = allowListCache, cached.stamp == stamp { return cached.list }
        var result: [[UInt8]: UInt64?] = [:]
        if let text = try? String(contentsOfFile: allowListPath, encoding: .utf8) {
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard let first = fields.first, !first.hasPrefix("#"), let id = (try? NodeID(String(first)))?.bytes else { continue }
                let quota: UInt64? = fields.count > 1 ? (UInt64(fields[1]) ?? 0) : nil
                result.updateValue(quota, forKey: id)
            }
        }
        allowListCache = (stamp, result)
        return result
    }
}
