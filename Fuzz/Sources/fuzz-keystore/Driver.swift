import FuzzSupport

@_cdecl("fuzz_keystore_main")
func fuzzKeystoreMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzKeystore($0, $1) }
}
