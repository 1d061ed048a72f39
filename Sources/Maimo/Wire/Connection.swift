import Crypto
import MaimoBlake3

/// Frames over a ``WireSocket``: encodes and MACs what it sends, splits and checks what it
/// receives. One thread uses a connection at a time.
final class WireConnection: FrameSender {
    let socket: WireSocket
    private var reader = WireFrameReader()
    private var sendKey: Blake3.Key?
    private var sendSequence: UInt64 = 0
    private var scratch = [UInt8](repeating: 0, count: 256 << 10)

    init(socket: WireSocket) { self.socket = socket }

    /// From now on frames carry MACs under these keys.
    func authenticate(send: Blake3.Key, receive: Blake3.Key) {
        sendKey = send
        reader.macKey = receive
    }

    func send(_ frame: WireFrame) throws(MaimoError) {
        try socket.send(frame.encoded(macKey: sendKey, sequence: sendSequence))
        if sendKey != nil { sendSequence += 1 }
    }

    func receive() throws(MaimoError) -> WireFrame {
        while true {
            do throws(WireError) {
                if let frame = try reader.next() { return frame }
            } catch {
                throw .wire(error)
            }
            let n = try socket.receive(into: &scratch)
            if n == 0 { throw .io("\(socket.peer) closed the connection") }
            reader.append(Array(scratch[..<n]))
        }
    }

    /// A frame that has arrived, or arrives within `seconds`; nil when none has (so that a
    /// sender can notice a refusal while it streams).
    func receiveIfReady(within seconds: Double = 0) throws(MaimoError) -> WireFrame? {
        do throws(WireError) {
            if let frame = try reader.next() { return frame }
        } catch {
            throw .wire(error)
        }
        guard socket.isReadable(within: seconds) else { return nil }
        return try receive()
    }

    func close() { socket.close() }
}

extension WireFrame {
    /// The code and message of an `ERROR` frame as a ``MaimoError``.
    var refusal: MaimoError {
        var reader = PayloadReader(payload, "error")
        guard let raw = try? reader.u16() else { return .wire(.badFrame("error frame without a code")) }
        let message = Self.printable(String(decoding: reader.rest(), as: UTF8.self))
        return .refused(WireErrorCode(rawValue: raw) ?? .internal, message)
    }

    /// Text from a provider without control and format characters (escape sequences that would
    /// drive the terminal, bidirectional overrides that would disguise it), each shown as `?`.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned: return "?"
            default: return scalar
            }
        }))
    }
}

/// A node's identity: its Ed25519 key; its node ID is the public key, shown as the v3 onion
/// address it makes.
public struct NodeIdentity: Sendable {
    public let signingKey: Curve25519.Signing.PrivateKey

    public init(signingKey: Curve25519.Signing.PrivateKey) { self.signingKey = signingKey }

    /// A new identity from the system CSPRNG.
    public init() { signingKey = Curve25519.Signing.PrivateKey() }

    /// The 32-byte node ID.
    public var nodeID: [UInt8] { Array(signingKey.publicKey.rawRepresentation) }
}
