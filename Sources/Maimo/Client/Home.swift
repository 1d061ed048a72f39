import Foundation
import MaimoCipher
import MaimoTor

/// A node's home directory (`~/.maimo` by default): `identity.key` (Ed25519, 0600),
/// `master.key` (0600), `catalogue.db` and `tmp/` for work files.
public final class MaimoHome: @unchecked Sendable {
    public let path: String
    public let identity: NodeIdentity
    public let keyring: MasterKeyring
    public let catalogue: Catalogue

    /// The default home: `$MAIMO_HOME`, or `~/.maimo`.
    public static var defaultPath: String {
        if let home = ProcessInfo.processInfo.environment["MAIMO_HOME"], !home.isEmpty { return home }
        return NSHomeDirectory() + "/.maimo"
    }

    /// Creates a new home with a fresh identity and master key; refuses to touch existing keys.
    @discardableResult
    public static func create(at path: String) throws(MaimoError) -> MaimoHome {
        let manager = FileManager.default
        if manager.fileExists(atPath: path + "/identity.key") || manager.fileExists(atPath: path + "/master.key") {
            throw .usage("\(path) already holds a Maimo identity; refusing to overwrite its keys")
        }
        do {
            try manager.createDirectory(atPath: path + "/tmp", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try manager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        } catch {
            throw .io("creating \(path): \(error.localizedDescription)")
        }
        do { try OnionServiceKey().write(to: path + "/identity.key") } catch { throw .io("writing \(path)/identity.key: \(error)") }
        do { try KeyFile.generate(at: path + "/master.key") } catch { throw .io("writing \(path)/master.key: \(error)") }
        return try MaimoHome(path: path)
    }

    /// The identity of the home at `path` alone: for a provider, which needs no catalogue, and
    /// for commands that must not wait for the catalogue's lock.
    public static func identity(at path: String) throws(MaimoError) -> NodeIdentity {
        guard FileManager.default.fileExists(atPath: path + "/identity.key") else {
            throw .home("no Maimo home at \(path) (run `maimo init` first, or pass --home)")
        }
        do {
            return NodeIdentity(signingKey: try OnionServiceKey(contentsOf: path + "/identity.key").signingKey)
        } catch {
            throw .home("reading \(path)/identity.key: \(error)")
        }
    }

    /// Opens an existing home. The catalogue is held open (and locked against other
    /// processes) until ``close()``.
    public init(path: String) throws(MaimoError) {
        self.path = path
        identity = try Self.identity(at: path)
        do {
            keyring = MasterKeyring(master: try KeyFile.load(from: path + "/master.key"))
        } catch {
            throw .home("reading \(path)/master.key: \(error)")
        }
        try? FileManager.default.createDirectory(atPath: path + "/tmp", withIntermediateDirectories: true)
        catalogue = try Catalogue(path: path + "/catalogue.db")
    }

    /// Work files (encodings on their way up or down) live here, on the home's file system.
    public var workDirectory: String { path + "/tmp" }

    /// This node's ID as text (what `maimo provider allow` takes).
    public var nodeID: String { NodeID.text(identity.nodeID) }

    public func close() { catalogue.close() }
}
