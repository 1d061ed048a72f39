import MaimoWire

/// What sends frames for a provider session (a NIO channel, or a blocking socket).
package protocol FrameSender: AnyObject {
    func send(_ frame: WireFrame) throws(MaimoError)
    /// Returns when the frames sent so far are on their way (a sender that queues them waits
    /// here; one that writes synchronously has nothing to wait for).
    func waitUntilWritable() throws(MaimoError)
}

extension FrameSender {
    package func waitUntilWritable() throws(MaimoError) {}

    /// Sends `ERROR code message` (best effort: the peer may be gone).
    package func sendError(_ code: WireErrorCode, _ message: String, request: UInt32) {
        try? send(WireResponse.error(code, message).frame(request: request))
    }

    package func send(_ response: WireResponse, request: UInt32) throws(MaimoError) {
        try send(response.frame(request: request))
    }
}
