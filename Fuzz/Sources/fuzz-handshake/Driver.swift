import FuzzSupport

@_cdecl("fuzz_handshake_main")
func fuzzHandshakeMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzHandshake($0, $1) }
}
