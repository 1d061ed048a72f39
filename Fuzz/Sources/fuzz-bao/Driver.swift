import FuzzSupport

@_cdecl("fuzz_bao_main")
func fuzzBaoMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzBao($0, $1) }
}
