// SwiftPM links an executable target's entry point as `<target>_main` (and defines `main` as it),
// so libFuzzer's own `main` is not used: this entry point hands the arguments to libFuzzer's
// driver with the target's test function.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("fuzz_zstd_main")
func fuzzZstdMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc, arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in
        fuzzZstd(data ?? UnsafePointer(bitPattern: 1)!, size)
    }
}
