import Foundation
import Testing

@Suite("maimo keygen, encrypt, decrypt")
struct CipherCommandTests {
    let directory: TemporaryDirectory
    let content: Data

    init() throws {
        directory = try TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        content = Data((0..<(2 * 1024 * 1024 + 77)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try directory.write("plain", content)
    }

    func maimo(_ arguments: [String], stdin: Data = Data()) throws -> Run {
        try Tool.run(Tool.maimo, arguments, stdin: stdin, in: directory.url)
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: directory.url.appendingPathComponent(name).path) }

    @Test func keygenIsPrivateAndNeverOverwrites() throws {
        #expect(try maimo(["keygen", "k"]).status == 0)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.url.appendingPathComponent("k").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let before = try Data(contentsOf: directory.url.appendingPathComponent("k"))
        let again = try maimo(["keygen", "k"])
        #expect(again.status == 1 && again.err.contains("refusing to overwrite"))
        #expect(try Data(contentsOf: directory.url.appendingPathComponent("k")) == before)
    }

    @Test func roundTripsThroughFilesAndPipes() throws {
        _ = try maimo(["keygen", "k"])
        #expect(try maimo(["encrypt", "--key", "k", "plain", "sealed"]).status == 0)
        #expect(try maimo(["decrypt", "--key", "k", "sealed", "opened"]).status == 0)
        #expect(try Data(contentsOf: directory.url.appendingPathComponent("opened")) == content)
        let piped = try maimo(["encrypt", "--key", "k", "--pad", "-", "-"], stdin: content)
        #expect(piped.status == 0 && piped.stdout.count > content.count)
        #expect(try maimo(["decrypt", "--key", "k", "-", "-"], stdin: piped.stdout).stdout == content)
        try directory.write("empty", Data())
        #expect(try maimo(["encrypt", "--key", "k", "empty", "empty.sealed"]).status == 0)
        #expect(try maimo(["decrypt", "--key", "k", "empty.sealed", "empty.opened"]).status == 0)
        #expect(try Data(contentsOf: directory.url.appendingPathComponent("empty.opened")).isEmpty)
    }

    @Test func failuresLeaveNoOutput() throws {
        _ = try maimo(["keygen", "k"])
        _ = try maimo(["keygen", "other"])
        _ = try maimo(["encrypt", "--key", "k", "plain", "sealed"])
        let wrongKey = try maimo(["decrypt", "--key", "other", "sealed", "out1"])
        #expect(wrongKey.status == 1 && wrongKey.err.contains("segment 0 failed authentication"))
        #expect(!exists("out1"))
        var sealed = try Data(contentsOf: directory.url.appendingPathComponent("sealed"))
        sealed[sealed.count - 3] ^= 1
        try directory.write("corrupt", sealed)
        let corrupt = try maimo(["decrypt", "--key", "k", "corrupt", "out2"])
        #expect(corrupt.status == 1 && corrupt.err.contains("segment 2 failed"))
        #expect(!exists("out2"))
        try directory.write("truncated", sealed.prefix(40 + 2 * (32 + 1_048_576)))
        #expect(try maimo(["decrypt", "--key", "k", "truncated", "out3"]).status == 1)
        #expect(!exists("out3"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.contains(".maimo-") }
        #expect(leftovers.isEmpty)
    }
}
