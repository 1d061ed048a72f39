import Foundation
import MaimoCipher
import MaimoRepository
import MaimoTor

/// A node's home directory (`~/.maimo` by default): `secret.key` (the root secret of
/// Docs/Repository.md §1, 0600), `identity.key` (the Ed25519 identity derived from it, 0600),
/// `catalogue.db` and `tmp/` for work files. Every key follows from the secret, so the recovery
/// code recreates the home (`create(at:recoveryCode:)`).
public final class MaimoHome: @unchecked Sendable {
    /// The home directory.
    public let path: String
    /// The node's identity, derived from the secret.
    public let identity: NodeIdentity
    /// Every key of the repository, derived from `secret.key`.
    public let keys: RepositoryKeys
    /// The catalogue (`catalogue.db`).
    public let catalogue: Catalogue

    /// The default home: `$MAIMO_HOME`, or `~/.maimo`.
    public static var defaultPath: String {
        if let home = ProcessInfo.processInfo.environment["MAIMO_HOME"], !home.isEmpty { return home }
        return NSHomeDirectory() + "/.maimo"
    }

    /// Creates a home from a fresh root secret, or from the secret a recovery code stands for
    /// (the same identity and keys as the home that printed it); refuses to touch existing keys.
    @discardableResult
    public static func create(at path: String, recoveryCode: String? = nil) throws(MaimoError) -> MaimoHome {
        let keys: RepositoryKeys
        if let recoveryCode {
            do { keys = try RepositoryKeys(recoveryCode: recoveryCode) } catch { throw .usage("\(error)") }
        } else {
            keys = RepositoryKeys.generate()
        }
        let manager = FileManager.default
        if manager.fileExists(atPath: path + "/identity.key") || manager.fileExists(atPath: path + "/secret.key") {
            throw .usage("\(path) already holds a Maimo identity; refusing to overwrite its keys")
        }
        do {
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try manager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        } catch {
            throw .io("creating \(path): \(error.localizedDescription)")
        }
        do { try KeyFile.write(keys.secret, to: path + "/secret.key") } catch { throw .io("writing \(path)/secret.key: \(error)") }
        let identity = NodeIdentity(repositoryKeys: keys)
        do { try OnionServiceKey(signingKey: identity.signingKey).write(to: path + "/identity.key") } catch {
            throw .io("writing \(path)/identity.key: \(error)")
        }
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
            keys = RepositoryKeys(secret: try KeyFile.load(from: path + "/secret.key"))
        } catch {
            throw .home("reading \(path)/secret.key: \(error)")
        }
        guard NodeIdentity(repositoryKeys: keys).nodeID == identity.nodeID else {
            throw .home("\(path)/identity.key is not the identity secret.key derives (remove it and run `maimo init --recover`)")
        }
        // Version 1 kept work files in `tmp/` and left them after a crash; nothing uses it now.
        try? FileManager.default.removeItem(atPath: path + "/tmp")
        catalogue = try Catalogue(path: path + "/catalogue.db")
        // Paths and chunk IDs are nobody else's business (the home is 0700 too).
        chmod(path + "/catalogue.db", 0o600)
    }

    /// This node's ID (its text is what `maimo provider allow` takes).
    public var nodeID: NodeID { identity.nodeID }

    /// Closes the catalogue.
    public func close() { catalogue.close() }
}
