import Foundation
import MaimoTor
import Testing

/// A real `tor` (apt package `tor`) with its network disabled: the control port, SAFECOOKIE or
/// cookie authentication, GETINFO, ADD_ONION with an own key and with client authorization,
/// DEL_ONION, ONION_CLIENT_AUTH_ADD/REMOVE, and no tor left behind. Under CI a missing `tor`
/// fails the test instead of skipping it.
@Suite("tor process and control port", .serialized)
struct TorProcessTests {
    /// An offline tor (network disabled) with `extraLines`, or nil when tor is not installed.
    static func offlineTor(_ extraLines: [String] = []) throws -> (TorProcess, String)? {
        guard TorTestSupport.installed() else {
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI must install tor (.ci/run)")
            return nil
        }
        let directory = TorTestSupport.temporaryPath("maimo-tor")
        var configuration = TorProcess.Configuration(dataDirectory: directory)
        configuration.disableNetwork = true
        configuration.extraLines = extraLines
        return (try TorProcess(configuration), directory)
    }

    /// `tor --hash-password`'s hash of `password`.
    static func hashPassword(_ password: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tor", "--quiet", "--hash-password", password]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    }

    @Test func authenticatesWithoutCredentialsWhenTorAllows() throws {
        // The last value wins: no cookie, no password, so tor offers NULL authentication.
        guard let (tor, directory) = try Self.offlineTor(["CookieAuthentication 0"]) else { return }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let other = try TorControl(port: tor.controlPort)
        #expect(try other.protocolInfo().methods == ["NULL"])
        // Refused unless allowed: a listener posing as tor would offer NULL too.
        #expect(throws: TorError.self) { try other.authenticate() }
        var policy = TorControl.AuthenticationPolicy()
        policy.allowNull = true
        try other.authenticate(policy: policy)
        other.close()
        tor.stop()
        #expect(!tor.isRunning)
    }

    @Test func controlsAnOfflineTor() throws {
        // A control password too, so that a second connection can use it.
        guard TorTestSupport.installed() else { _ = try Self.offlineTor(); return }
        let hash = try Self.hashPassword("maimo secret")
        let started = Date()
        guard let (tor, directory) = try Self.offlineTor(["HashedControlPassword \(hash)"]) else { return }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        print("tor: control port ready and authenticated in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
        // DisableNetwork keeps every listener but the control port closed.
        #expect(tor.socksPort == nil)
        let version = try tor.control.getInfo(["version"])["version"] ?? ""
        #expect(version.hasPrefix("0."), "\(version)")
        let config = try tor.control.getInfo(["config-text"])["config-text"] ?? ""
        #expect(config.contains("DisableNetwork 1"))

        let key = OnionServiceKey()
        let address = try tor.control.addOnion(key: key, ports: [(virtual: 80, target: "127.0.0.1:9")])
        #expect(address == key.address)
        let services = try tor.control.getInfo(["onions/current"])["onions/current"] ?? ""
        #expect(services.contains(address.serviceID))
        try tor.control.deleteOnion(address)
        #expect(!(try tor.control.getInfo(["onions/current"])["onions/current"] ?? "").contains(address.serviceID))
        #expect(throws: TorError.self) { try tor.control.deleteOnion(address) }
        // The provider's defenses (streams per circuit, proof of work) are accepted by this tor.
        let defended = OnionServiceKey()
        #expect(try tor.control.addOnion(key: defended, ports: [(virtual: 80, target: "127.0.0.1:9")], defenses: .provider) == defended.address)
        try tor.control.deleteOnion(defended.address)

        let client = ClientAuthorizationKey()
        let restricted = OnionServiceKey()
        #expect(try tor.control.addOnion(key: restricted, ports: [(virtual: 80, target: "127.0.0.1:9")], clientAuthorization: [client.publicKey]) == restricted.address)
        try tor.control.addClientAuthorization(for: restricted.address, key: client)
        try tor.control.removeClientAuthorization(for: restricted.address)
        #expect(throws: TorError.self) { try tor.control.send("GETINFO no-such-key") }

        // A detached service outlives its connection; a second connection (password) sees it.
        let detached = OnionServiceKey()
        try tor.control.addOnion(key: detached, ports: [(virtual: 80, target: "127.0.0.1:9")], detach: true)
        let second = try TorControl(port: tor.controlPort)
        #expect(try second.protocolInfo().methods.isSuperset(of: ["HASHEDPASSWORD", "SAFECOOKIE", "COOKIE"]))
        #expect(throws: TorError.self) { try TorControl(port: tor.controlPort).authenticate(password: "wrong") }
        try second.authenticate(password: "maimo secret")
        #expect((try second.getInfo(["onions/detached"])["onions/detached"] ?? "").contains(detached.address.serviceID))
        try second.deleteOnion(detached.address)
        second.close()
        // The cookie named by PROTOCOLINFO is read only from where this tor keeps it: not from
        // a temporary directory unless the caller says so.
        #expect(throws: TorError.self) { try TorControl(port: tor.controlPort).authenticate() }
        let third = try TorControl(port: tor.controlPort)
        var policy = TorControl.AuthenticationPolicy()
        policy.cookieDirectories = [tor.configuration.dataDirectory]
        try third.authenticate(policy: policy)
        #expect(!(try third.getInfo(["version"])["version"] ?? "").isEmpty)
        third.close()

        let pid = tor.pid
        tor.stop()
        #expect(kill(pid, 0) != 0, "tor \(pid) is still running")
    }
}
