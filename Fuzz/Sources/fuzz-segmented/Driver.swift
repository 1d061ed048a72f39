import FuzzSupport

@_cdecl("fuzz_segmented_main")
func fuzzSegmentedMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzSegmented($0, $1) }
}
