import FuzzSupport

@_cdecl("fuzz_recovery_code_main")
func fuzzRecoveryCodeMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzRecoveryCode($0, $1) }
}
