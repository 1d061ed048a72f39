import FuzzSupport

@_cdecl("fuzz_tor_main")
func fuzzTorMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzTor($0, $1) }
}
