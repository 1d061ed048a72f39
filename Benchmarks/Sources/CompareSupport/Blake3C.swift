#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The official BLAKE3 C implementation, compiled in the benchmark run from a copy of its
/// repository's `c/` folder (never committed: the caller points at one, e.g. a
/// `git clone https://github.com/BLAKE3-team/BLAKE3`) and reached through dlopen.
///
/// `sse2Only` builds it as the fair reference for a baseline x86-64 build: the portable code and
/// the SSE2 assembly, with `-DBLAKE3_NO_SSE41 -DBLAKE3_NO_AVX2 -DBLAKE3_NO_AVX512`; otherwise every
/// kernel the C code has, picked at run time as the library does.
public struct Blake3C {
    typealias Init = @convention(c) (UnsafeMutableRawPointer) -> Void
    typealias Update = @convention(c) (UnsafeMutableRawPointer, UnsafeRawPointer?, Int) -> Void
    typealias Finalize = @convention(c) (UnsafeRawPointer, UnsafeMutablePointer<UInt8>, Int) -> Void
    typealias Version = @convention(c) () -> UnsafePointer<CChar>

    let initialize: Init, update: Update, finalize: Finalize
    /// The library's own version string (`blake3_version()`).
    public let version: String

    /// Compiles `directory` (the repository's `c/` folder, or the repository itself) with `cc`
    /// into `scratch` and loads it; nil with the reason when it cannot.
    public static func build(from directory: String, into scratch: String, sse2Only: Bool) -> Result<Blake3C, BuildError> {
        let c = FileManager.default.fileExists(atPath: directory + "/c/blake3.c") ? directory + "/c" : directory
        guard FileManager.default.fileExists(atPath: c + "/blake3.c") else {
            return .failure(BuildError(reason: "no blake3.c in \(directory) or \(directory)/c"))
        }
        var sources = ["blake3.c", "blake3_dispatch.c", "blake3_portable.c", "blake3_sse2_x86-64_unix.S"]
        var flags = ["-O3", "-shared", "-fPIC"]
        if sse2Only {
            flags += ["-DBLAKE3_NO_SSE41", "-DBLAKE3_NO_AVX2", "-DBLAKE3_NO_AVX512"]
        } else {
            sources += ["blake3_sse41_x86-64_unix.S", "blake3_avx2_x86-64_unix.S", "blake3_avx512_x86-64_unix.S"]
        }
        let library = scratch + "/libblake3-\(sse2Only ? "sse2" : "all").so"
        guard let compiler = which("cc") ?? which("clang") ?? which("gcc") else {
            return .failure(BuildError(reason: "no C compiler (cc, clang or gcc) on PATH"))
        }
        guard let (output, status) = try? capture(compiler, flags + sources.map { c + "/" + $0 } + ["-o", library], mergingErrors: true) else {
            return .failure(BuildError(reason: "\(compiler) did not start"))
        }
        guard status == 0 else {
            return .failure(BuildError(reason: "\(compiler) failed to build \(c): \(output.suffix(400))"))
        }
        guard let handle = dlopen(library, RTLD_NOW),
              let initSymbol = dlsym(handle, "blake3_hasher_init"), let updateSymbol = dlsym(handle, "blake3_hasher_update"),
              let finalizeSymbol = dlsym(handle, "blake3_hasher_finalize"), let versionSymbol = dlsym(handle, "blake3_version") else {
            return .failure(BuildError(reason: "\(library) lacks the blake3_hasher functions"))
        }
        let version = String(cString: unsafeBitCast(versionSymbol, to: Version.self)())
        return .success(Blake3C(initialize: unsafeBitCast(initSymbol, to: Init.self), update: unsafeBitCast(updateSymbol, to: Update.self),
                                finalize: unsafeBitCast(finalizeSymbol, to: Finalize.self), version: version))
    }

    /// Why the C library is not there.
    public struct BuildError: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// The 32-byte hash of `bytes`.
    public func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        // blake3_hasher is 1,912 bytes on x86-64; 4 KiB leaves room for any version.
        let hasher = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 64)
        defer { hasher.deallocate() }
        initialize(hasher)
        update(hasher, bytes.baseAddress, bytes.count)
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBufferPointer { finalize(hasher, $0.baseAddress!, 32) }
        return out
    }
}
