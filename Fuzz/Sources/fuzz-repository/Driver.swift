import FuzzSupport

@_cdecl("fuzz_repository_main")
func fuzzRepositoryMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzRepository($0, $1) }
}
