// What a bare WebAssembly module needs under Embedded Swift: a heap (posix_memalign, free), the
// few C symbols the Embedded runtime calls (putchar, arc4random_buf), and WASI for output, files
// and exit. No libc: everything here is Swift, over `wasi_snapshot_preview1` imports.

// MARK: WASI imports

@_extern(wasm, module: "wasi_snapshot_preview1", name: "fd_write")
@_extern(c)
func wasiWrite(_ fd: Int32, _ iovs: UnsafeRawPointer, _ count: Int32, _ written: UnsafeMutablePointer<Int32>) -> Int32

@_extern(wasm, module: "wasi_snapshot_preview1", name: "fd_read")
@_extern(c)
func wasiRead(_ fd: Int32, _ iovs: UnsafeRawPointer, _ count: Int32, _ read: UnsafeMutablePointer<Int32>) -> Int32

@_extern(wasm, module: "wasi_snapshot_preview1", name: "path_open")
@_extern(c)
func wasiOpen(
    _ directory: Int32, _ lookupFlags: Int32, _ path: UnsafeRawPointer, _ pathLength: Int32, _ openFlags: Int32,
    _ rightsBase: Int64, _ rightsInheriting: Int64, _ fdFlags: Int32, _ fd: UnsafeMutablePointer<Int32>
) -> Int32

@_extern(wasm, module: "wasi_snapshot_preview1", name: "fd_close")
@_extern(c)
func wasiClose(_ fd: Int32) -> Int32

@_extern(wasm, module: "wasi_snapshot_preview1", name: "random_get")
@_extern(c)
func wasiRandom(_ buffer: UnsafeMutableRawPointer, _ count: Int32) -> Int32

@_extern(wasm, module: "wasi_snapshot_preview1", name: "proc_exit")
@_extern(c)
func wasiProcExit(_ code: Int32)

/// Ends the program with `code` (proc_exit does not return).
func wasiExit(_ code: Int32) -> Never {
    wasiProcExit(code)
    while true {}
}

// MARK: Output and files

/// Writes `text` to standard output (fd 1).
func write(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var done = 0
        while done < bytes.count {
            var vector: (UInt32, UInt32) = (UInt32(UInt(bitPattern: bytes.baseAddress! + done)), UInt32(bytes.count - done))
            var written: Int32 = 0
            let status = withUnsafeBytes(of: &vector) { wasiWrite(1, $0.baseAddress!, 1, &written) }
            if status != 0 || written <= 0 { return }
            done += Int(written)
        }
    }
}

/// The whole file at `path` under the first directory given to the runtime (`--dir`, fd 3), or nil.
func readFile(_ path: String) -> [UInt8]? {
    var fd: Int32 = -1
    var path = path
    let opened = path.withUTF8 { name in
        // Rights: fd_read (bit 1) and fd_seek (bit 2); no flags.
        wasiOpen(3, 0, name.baseAddress!, Int32(name.count), 0, 0b110, 0, 0, &fd)
    }
    guard opened == 0 else { return nil }
    defer { _ = wasiClose(fd) }
    var contents: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        var got: Int32 = 0
        let status = buffer.withUnsafeMutableBytes { bytes -> Int32 in
            var vector: (UInt32, UInt32) = (UInt32(UInt(bitPattern: bytes.baseAddress!)), UInt32(bytes.count))
            return withUnsafeBytes(of: &vector) { wasiRead(fd, $0.baseAddress!, 1, &got) }
        }
        guard status == 0 else { return nil }
        if got == 0 { return contents }
        contents.append(contentsOf: buffer[0..<Int(got)])
    }
}

// MARK: C symbols the Embedded Swift runtime calls

@_cdecl("putchar")
func putchar(_ character: Int32) -> Int32 {
    var byte = UInt8(truncatingIfNeeded: character)
    var vector: (UInt32, UInt32) = (UInt32(UInt(bitPattern: withUnsafeMutablePointer(to: &byte) { $0 })), 1)
    var written: Int32 = 0
    _ = withUnsafeBytes(of: &vector) { wasiWrite(1, $0.baseAddress!, 1, &written) }
    return character
}

/// The CSPRNG behind `SystemRandomNumberGenerator` in Embedded Swift.
@_cdecl("arc4random_buf")
func arc4random_buf(_ buffer: UnsafeMutableRawPointer, _ count: Int) {
    if wasiRandom(buffer, Int32(count)) != 0 { wasiExit(70) }
}

// MARK: The heap

/// Blocks are powers of two from 64 bytes, carved from memory above `heapStart` (the linker puts
/// the stack and data below: `Scripts/embedded.sh` links with `--initial-memory` well above it)
/// and kept on one free list per size when freed. Each block has a 64-byte header holding its
/// size class, so every pointer handed out is 64-byte aligned.
enum Heap {
    static let heapStart = 32 << 20
    static let heapEnd = 1 << 30
    static let header = 64
    nonisolated(unsafe) static var next = heapStart
    nonisolated(unsafe) static var freeLists = (
        UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0),
        UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0),
        UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0), UInt(0))

    static func freeList(_ sizeClass: Int) -> UnsafeMutablePointer<UInt> {
        withUnsafeMutableBytes(of: &freeLists) { $0.baseAddress!.assumingMemoryBound(to: UInt.self) + sizeClass }
    }

    static func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
        var sizeClass = 6
        while (1 << sizeClass) < size { sizeClass += 1 }
        guard sizeClass < 30 else { return nil }
        let list = freeList(sizeClass)
        if list.pointee != 0 {
            let block = UnsafeMutableRawPointer(bitPattern: list.pointee)!
            list.pointee = block.load(as: UInt.self)
            return block
        }
        guard next + header + (1 << sizeClass) <= heapEnd else { return nil }
        let base = UnsafeMutableRawPointer(bitPattern: next)!
        next += header + (1 << sizeClass)
        base.storeBytes(of: sizeClass, as: Int.self)
        return base + header
    }

    static func free(_ pointer: UnsafeMutableRawPointer) {
        let sizeClass = (pointer - header).load(as: Int.self)
        let list = freeList(sizeClass)
        pointer.storeBytes(of: list.pointee, as: UInt.self)
        list.pointee = UInt(bitPattern: pointer)
    }
}

@_cdecl("posix_memalign")
func posix_memalign(_ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int) -> Int32 {
    guard alignment <= Heap.header, let block = Heap.allocate(size) else { return 12 }  // ENOMEM
    result.pointee = block
    return 0
}

@_cdecl("free")
func free(_ pointer: UnsafeMutableRawPointer?) {
    if let pointer { Heap.free(pointer) }
}

// MARK: Compiler builtins (compiler-rt is not linked)

@_cdecl("memcmp")
func memcmp(_ lhs: UnsafeRawPointer, _ rhs: UnsafeRawPointer, _ count: Int) -> Int32 {
    for i in 0..<count {
        let a = lhs.load(fromByteOffset: i, as: UInt8.self), b = rhs.load(fromByteOffset: i, as: UInt8.self)
        if a != b { return a < b ? -1 : 1 }
    }
    return 0
}

/// The low 128 bits of a 128-bit product (wasm32 ABI: the result through a pointer), from
/// 32-bit limbs so that nothing here needs a 128-bit multiply itself.
@_cdecl("__multi3")
func multi3(_ result: UnsafeMutablePointer<UInt64>, _ aLow: UInt64, _ aHigh: UInt64, _ bLow: UInt64, _ bHigh: UInt64) {
    let a0 = aLow & 0xFFFF_FFFF, a1 = aLow >> 32, b0 = bLow & 0xFFFF_FFFF, b1 = bLow >> 32
    let p00 = a0 &* b0, p01 = a0 &* b1, p10 = a1 &* b0, p11 = a1 &* b1
    let middle = (p00 >> 32) &+ (p01 & 0xFFFF_FFFF) &+ (p10 & 0xFFFF_FFFF)
    let low = (p00 & 0xFFFF_FFFF) | (middle << 32)
    let high = p11 &+ (p01 >> 32) &+ (p10 >> 32) &+ (middle >> 32) &+ aLow &* bHigh &+ aHigh &* bLow
    result[0] = low
    result[1] = high
}
