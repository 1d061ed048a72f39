import Crypto
import MaimoBlake3
import MaimoWire

/// Frames over a ``WireSocket``: encodes and (after the handshake) seals what it sends, splits
/// and opens what it receives. One thread uses a connection at a time.
final class WireConnection: FrameSender {
    let socket: WireSocket
    private var reader = WireFrameReader()
    private var sealer: WireFrameCipher?

    init(socket: WireSocket) { self.socket = socket }

    /// From now on frames are sealed and opened with these.
    func encrypt(send: WireFrameCipher, receive: WireFrameCipher) {
        sealer = send
        reader.opener = receive
    }

    func send(_ frame: WireFrame) throws(MaimoError) {
        if sealer != nil {
            try socket.send(frame.sealed(with: &sealer!))
        } else {
            try socket.send(frame.encoded())
        }
    }

    func receive() throws(MaimoError) -> WireFrame {
        while true {
            do throws(WireError) {
                if let frame = try reader.next() { return frame }
            } catch {
                throw .wire(error)
            }
            // Straight into the reader's buffer: no copy between the socket and the frame.
            let socket = self.socket
            let n = try reader.receive { (room) throws(MaimoError) -> Int in try socket.receive(into: room) }
            if n == 0 { throw .network("\(socket.peer) closed the connection") }
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
        guard case let .error(code, message)? = try? WireResponse(self) else { return .wire(.badFrame("a malformed error frame")) }
        return .refused(code, message)
    }
}

/// A node's identity: its Ed25519 key; its node ID is the public key, shown as the v3 onion
/// address it makes.
public struct NodeIdentity: Sendable {
    /// The Ed25519 signing key; its public half is the node ID.
    public let signingKey: Curve25519.Signing.PrivateKey

    /// An identity from an existing signing key.
    public init(signingKey: Curve25519.Signing.PrivateKey) { self.signingKey = signingKey }

    /// A new identity from the system CSPRNG.
    public init() { signingKey = Curve25519.Signing.PrivateKey() }

    /// The node ID: the public key.
    public var nodeID: NodeID { NodeID(unchecked: Array(signingKey.publicKey.rawRepresentation)) }
}
