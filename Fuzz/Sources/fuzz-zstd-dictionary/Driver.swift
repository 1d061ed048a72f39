import FuzzSupport

@_cdecl("fuzz_zstd_dictionary_main")
func fuzzZstdDictionaryMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzZstdDictionary($0, $1) }
}
