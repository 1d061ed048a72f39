import FuzzSupport

@_cdecl("fuzz_zstd_compress_main")
func fuzzZstdCompressMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzZstdCompress($0, $1) }
}
