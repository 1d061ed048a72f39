import FuzzSupport

@_cdecl("fuzz_wire_main")
func fuzzWireMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzWire($0, $1) }
}
