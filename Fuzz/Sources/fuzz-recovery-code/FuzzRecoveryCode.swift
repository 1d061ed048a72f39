// libFuzzer target: the recovery code parser (bech32m, Docs/Repository.md). Input: text as a
// user might type it. What must hold: no crash; an accepted code is a 32-byte secret whose own
// code parses back to it.
import FuzzSupport
import MaimoRepository

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecoveryCode(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: fuzzInput(data, size), as: UTF8.self)
    guard let secret = try? RecoveryCode.decode(text) else { return 0 }
    precondition(secret.count == 32, "an accepted code gave \(secret.count) bytes")
    precondition((try? RecoveryCode.decode(RecoveryCode.encode(secret))) == secret, "the secret's own code does not parse back")
    return 0
}
