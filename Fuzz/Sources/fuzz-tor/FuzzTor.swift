// libFuzzer target: what a tor (or whatever listens on its ports) sends Maimo — control-port
// replies, SOCKS5 replies, onion addresses. Input: byte 0 picks the parser, the rest is what
// arrives. What must hold: no crash; refusals are typed; SOCKS5 reply lengths stay within the
// protocol's bounds; an accepted onion address prints as the canonical text it parses back from.
import FuzzSupport
import MaimoTor

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTor(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let rest = Array(input.dropFirst())
    switch selector % 3 {
    case 0:
        var parser = ControlReplyParser()
        let text = String(decoding: rest, as: UTF8.self)
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: false) {
            guard let reply = try? parser.feed(String(line)) else { continue }
            _ = try? reply.check()
            for replyLine in reply.lines { _ = ControlReply.keywords(in: replyLine.text) }
            _ = reply.value(of: "ServiceID")
        }
    case 1:
        _ = try? SOCKS5.method(from: Array(rest.prefix(2)))
        if let length = try? SOCKS5.remainingReplyLength(afterHeader: Array(rest.prefix(5))) {
            precondition((0...257).contains(length), "a SOCKS5 reply claims \(length) more bytes")
        }
    default:
        if let address = try? OnionAddress(String(decoding: rest, as: UTF8.self)) {
            precondition((try? OnionAddress(address.description)) == address, "an onion address does not parse back from its text")
        }
    }
    return 0
}
