// libFuzzer target: the wire's frame reader and its typed codec (before the handshake: plain
// frames). Input: a byte stream as a peer would send it. What must hold: no crash; every frame
// read re-encodes to the bytes it was read from; every request or reply decoded from a frame
// encodes to a frame that decodes to the same value (the codec is one function both ways).
import FuzzSupport
import MaimoWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    var reader = WireFrameReader()
    reader.append(input)
    var consumed = 0
    while true {
        let frame: WireFrame
        do {
            guard let next = try reader.next() else { break }
            frame = next
        } catch {
            break
        }
        let bytes = frame.encoded()
        precondition(Array(input[consumed..<(consumed + bytes.count)]) == bytes, "a frame does not re-encode to its bytes")
        consumed += bytes.count
        if let request = try? WireRequest(frame) {
            precondition((try? WireRequest(request.frame(request: frame.request))) == request, "a request does not round-trip")
        }
        if let response = try? WireResponse(frame) {
            precondition((try? WireResponse(response.frame(request: frame.request))) == response, "a reply does not round-trip")
        }
    }
    return 0
}
