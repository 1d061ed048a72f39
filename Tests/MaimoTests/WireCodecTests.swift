import Foundation
import MaimoBlake3
import MaimoTestSupport
import MaimoWire
import Testing

/// The one codec of requests and replies (Docs/Engine.md, "Operations"): everything either side
/// encodes decodes to itself; frames of the wrong direction, type or layout are typed errors.
@Suite("wire codec")
struct WireCodecTests {
    static let root = Blake3.hash(Array("a root".utf8)), other = Blake3.hash(Array("another".utf8))

    static let requests: [WireRequest] = [
        .stat, .status(root), .put(root: root, length: 12345, start: .max), .data(offset: 7, bytes: [1, 2, 3]),
        .get(root: root, offset: 0, length: .max), .slice(root: other, start: 4096, count: 1024), .delete(root),
        .list(after: nil, limit: 4096), .list(after: other, limit: 1),
    ]
    static let responses: [WireResponse] = [
        .welcome(ProviderUsage(quota: .max, used: 1, blobs: 2)), .usage(ProviderUsage(quota: 10, used: 3, blobs: 1)),
        .status(.absent), .status(.partial(99)), .status(.complete(1 << 40)), .ready(offset: 17), .stored,
        .deleted(existed: true), .deleted(existed: false), .listing([]),
        .listing([.init(root: root, length: 5), .init(root: other, length: 6)]),
        .data([], last: true), .data([9, 9], last: false), .error(.noSpace, "the disk is full"),
    ]

    @Test func everyMessageRoundTrips() throws {
        for (i, request) in Self.requests.enumerated() {
            let frame = request.frame(request: UInt32(i))
            #expect(try WireRequest(frame) == request)
            #expect(frame.kind == request.kind)
            if request.kind != .data {
                #expect(throws: WireError.self, "a provider does not send \(frame.kind)") { try WireResponse(frame) }
            }
        }
        for (i, response) in Self.responses.enumerated() {
            let frame = response.frame(request: UInt32(i))
            #expect(try WireResponse(frame) == response)
            if response.kind != .data {
                #expect(throws: WireError.self, "a client does not send \(frame.kind)") { try WireRequest(frame) }
            }
        }
    }

    /// Found by fuzz-wire: a frame whose reserved header bytes were not zero was read as if they
    /// were, so two different byte strings meant one frame. The reader now refuses it.
    @Test func reservedHeaderBytesMustBeZero() throws {
        // From Fuzz/ crash input 8d23b992…: a SLICE frame header with reserved bytes 00 ff.
        let stream: [UInt8] = [0, 0, 0, 8, 0x22, 0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        var reader = WireFrameReader()
        reader.append(stream)
        #expect(throws: WireError.badFrame("reserved header bytes are not zero")) { try reader.next() }
        var clean = WireFrameReader()
        clean.append([0, 0, 0, 8, 0x22, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF])
        let frame = try #require(try clean.next())
        #expect(frame.encoded() == [0, 0, 0, 8, 0x22, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    /// From Fuzz/ crash input 9804bf1b… (fuzz-wire, ten-million run): an `ERROR` frame whose
    /// message is not UTF-8. Each bad byte decodes to U+FFFD, three bytes long, so the decoded
    /// message was longer than a frame carries, and re-encoding cut it inside a scalar: the
    /// reply did not round-trip. Messages are now clipped to whole scalars on both sides.
    @Test func errorMessagesRoundTripWhateverTheirBytes() throws {
        for payloadBytes in [[UInt8](repeating: 0xFF, count: 1024), [UInt8](repeating: 0xFF, count: 1800),
                             Array("é".utf8) + [UInt8](repeating: 0x41, count: 1022) + Array("é".utf8),
                             [UInt8](repeating: 0xE2, count: 700) + Array("\u{1B}[31m".utf8)] {
            let frame = WireFrame(.error, request: 7, payload: [3, 0] + payloadBytes)
            let response = try WireResponse(frame)
            guard case let .error(code, message) = response else { Issue.record("not an error: \(response)"); continue }
            #expect(code == .notFound)
            #expect(message.utf8.count <= WireResponse.maxMessage)
            #expect(!message.unicodeScalars.contains { $0.value == 0x1B }, "control characters are shown as ?")
            #expect(try WireResponse(response.frame(request: 7)) == response, "\(payloadBytes.count) bytes")
        }
        // A message of the provider's own, longer than a frame carries, is cut between scalars.
        let long = WireResponse.error(.internal, String(repeating: "ü", count: 600))
        guard case let .error(_, sent) = try WireResponse(long.frame(request: 1)) else { throw WireError.badFrame("") }
        #expect(sent == String(repeating: "ü", count: 512))
    }

    @Test func malformedPayloadsAreTypedErrors() throws {
        #expect(throws: WireError.badFrame("a DATA frame without bytes")) { try WireRequest(WireFrame(.data, payload: [0, 0, 0, 0, 0, 0, 0, 0])) }
        #expect(throws: WireError.self) { try WireRequest(WireFrame(.status, payload: [1, 2, 3])) }
        #expect(throws: WireError.self) { try WireRequest(WireFrame(.stat, payload: [0])) }
        #expect(throws: WireError.self) { try WireResponse(WireFrame(.blobStatus, payload: [3, 0, 0, 0, 0, 0, 0, 0, 0])) }
        #expect(throws: WireError.self) { try WireResponse(WireFrame(.listing, payload: [2, 0, 0, 0] + [UInt8](repeating: 0, count: 40))) }
        // Every truncation and every extension of every message is refused or decodes to
        // something; never a trap.
        var generator = SeededGenerator.fromEnvironment("wire.codec.mutations")
        for message in Self.requests.map({ $0.frame(request: 1) }) + Self.responses.map({ $0.frame(request: 1) }) {
            for cut in 0..<message.payload.count {
                var frame = message
                frame.payload = Array(frame.payload[..<cut])
                _ = try? WireRequest(frame)
                _ = try? WireResponse(frame)
            }
            for _ in 0..<50 {
                var frame = message
                frame.payload += (0..<Int.random(in: 1...48, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if let request = try? WireRequest(frame) { #expect(request.kind == .data) }
                if let response = try? WireResponse(frame) { #expect([.data, .error].contains(response.kind)) }
            }
        }
    }

    /// A provider's message reaches the client without control or format characters.
    @Test func errorTextIsPrintable() throws {
        let frame = WireResponse.error(.notAllowed, "\u{1b}[2Jyou are \u{202e}dellawon\nnot allowed").frame(request: 3)
        guard case let .error(code, text) = try WireResponse(frame) else { Issue.record("not an error"); return }
        #expect(code == .notAllowed && text == "?[2Jyou are ?dellawon?not allowed")
        // Unknown codes are internal errors, not traps; overlong text is cut.
        var unknown = frame
        unknown.payload[0] = 200
        #expect(try WireResponse(unknown) == .error(.internal, "?[2Jyou are ?dellawon?not allowed"))
        let long = WireResponse.error(.busy, String(repeating: "x", count: 5000)).frame(request: 0)
        #expect(long.payload.count == 2 + WireResponse.maxMessage)
    }
}
