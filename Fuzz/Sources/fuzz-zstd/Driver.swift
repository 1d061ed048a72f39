import FuzzSupport

@_cdecl("fuzz_zstd_main")
func fuzzZstdMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzZstd($0, $1) }
}
