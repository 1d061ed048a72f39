import FuzzSupport

@_cdecl("fuzz_index_main")
func fuzzIndexMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzIndex($0, $1) }
}
