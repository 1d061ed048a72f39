// The Embedded Swift vector program: the official BLAKE3, Bao, ChaCha and XChaCha8-Blake3-SIV
// vectors and the zstd fixtures made by the reference tools, computed by MaimoBlake3, MaimoBao,
// MaimoCipher and MaimoZstd built for bare WebAssembly. Run by `Scripts/embedded.sh` under
// `wasmkit run --dir DIR`, where DIR holds `vectors.txt` (from vectors.py) and `zstd/` (the
// fixtures and their manifest). Prints each failure, then the count checked; exits 1 on any failure.
import MaimoBao
import MaimoBlake3
import MaimoCipher
import MaimoZstd

struct Checker {
    var checked = 0
    var failures = 0

    mutating func check(_ ok: Bool, _ what: @autoclosure () -> String) {
        checked += 1
        if !ok {
            failures += 1
            write("FAIL \(what())\n")
        }
    }
}

/// Bytes from hex ("-" is empty).
func bytes(_ hex: Substring) -> [UInt8] {
    if hex == "-" { return [] }
    var out: [UInt8] = []
    var high: UInt8? = nil
    for c in hex.utf8 {
        let nibble: UInt8 = c <= 57 ? c - 48 : (c | 0x20) - 87
        if let h = high {
            out.append(h << 4 | nibble)
            high = nil
        } else {
            high = nibble
        }
    }
    return out
}

func integers(_ list: Substring) -> [Int] {
    list == "-" ? [] : list.split(separator: ",").map { Int($0)! }
}

func blake3Input(_ count: Int) -> [UInt8] { (0..<count).map { UInt8($0 % 251) } }

func baoInput(_ count: Int) -> [UInt8] {
    (0..<count).map { i in UInt8(truncatingIfNeeded: (UInt32(i / 4) + 1) >> (8 * UInt32(i % 4))) }
}

func flipped(_ bytes: [UInt8], at index: Int) -> [UInt8] {
    var copy = bytes
    copy[index] ^= 1
    return copy
}

func fails<T>(_ body: () throws(BaoError) -> T) -> Bool {
    do { _ = try body() } catch { return true }
    return false
}

struct Program {
    var checker = Checker()
    var blake3Key: [UInt8] = []
    var blake3Context = ""

    mutating func run(_ line: [Substring]) {
        switch line[0] {
        case "blake3-key": blake3Key = bytes(line[1])
        case "blake3-context": blake3Context = String(decoding: bytes(line[1]), as: UTF8.self)
        case "blake3": blake3(line)
        case "bao-hash":
            checker.check(Blake3.hash(baoInput(Int(line[1])!)).bytes == bytes(line[2]), "bao hash \(line[1])")
        case "bao-encode": baoEncode(line)
        case "bao-outboard": baoOutboard(line)
        case "bao-seek": baoSeek(line)
        case "bao-slice": baoSlice(line)
        case "chacha", "hchacha", "xchacha": chacha(line)
        case "siv": siv(line)
        default: checker.check(false, "unknown vector kind \(line[0])")
        }
    }

    mutating func blake3(_ line: [Substring]) {
        let input = blake3Input(Int(line[1])!)
        let hash = bytes(line[2]), keyed = bytes(line[3]), derived = bytes(line[4])
        checker.check(Blake3.hash(input, outputLength: hash.count) == hash, "blake3 hash \(line[1])")
        checker.check(Blake3.hash(input).bytes == Array(hash[0..<32]), "blake3 digest \(line[1])")
        var keyedHasher = Blake3(key: try! Blake3.Key(blake3Key))
        keyedHasher.update(input)
        var reader = keyedHasher.finalizeXOF()
        checker.check(reader.read(count: keyed.count) == keyed, "blake3 keyed \(line[1])")
        var deriving = Blake3(deriveKeyContext: blake3Context)
        deriving.update(input)
        reader = deriving.finalizeXOF()
        checker.check(reader.read(count: derived.count) == derived, "blake3 derive_key \(line[1])")
    }

    mutating func baoEncode(_ line: [Substring]) {
        let input = baoInput(Int(line[1])!)
        let (encoding, hash) = Bao.encode(input)
        checker.check(hash.bytes == bytes(line[3]) && encoding.count == Int(line[2])!, "bao encode \(line[1])")
        checker.check(Blake3.hash(encoding).bytes == bytes(line[4]), "bao encoding bytes \(line[1])")
        checker.check((try? Bao.decode(encoding, hash: hash)) == input, "bao decode \(line[1])")
        for point in integers(line[5]) {
            checker.check(fails { () throws(BaoError) in try Bao.decode(flipped(encoding, at: point), hash: hash) },
                "bao encode \(line[1]) corruption \(point)")
        }
    }

    mutating func baoOutboard(_ line: [Substring]) {
        let input = baoInput(Int(line[1])!)
        let (outboard, hash) = input.withUnsafeBytes { Bao.outboard($0) }
        checker.check(hash.bytes == bytes(line[3]) && outboard.count == Int(line[2])!, "bao outboard \(line[1])")
        checker.check(Blake3.hash(outboard).bytes == bytes(line[4]), "bao outboard bytes \(line[1])")
        checker.check(
            (try? Bao.decode(outboard: outboard, data: input, hash: hash)) == input, "bao outboard decode \(line[1])")
        for point in integers(line[5]) {
            checker.check(
                fails { () throws(BaoError) in
                    try Bao.decode(outboard: flipped(outboard, at: point), data: input, hash: hash)
                }, "bao outboard \(line[1]) corruption \(point)")
        }
        for point in integers(line[6]) {
            checker.check(
                fails { () throws(BaoError) in
                    try Bao.decode(outboard: outboard, data: flipped(input, at: point), hash: hash)
                }, "bao outboard \(line[1]) input corruption \(point)")
        }
    }

    mutating func baoSeek(_ line: [Substring]) {
        let input = baoInput(Int(line[1])!)
        let (encoding, hash) = Bao.encode(input)
        for seek in integers(line[2]) {
            var decoder = BaoDecoder(combined: BaoBufferSource(encoding), hash: hash)
            decoder.seek(to: UInt64(seek))
            let rest = try? decoder.readToEnd()
            checker.check(rest.map { $0[...] } == input[min(seek, input.count)...], "bao seek \(line[1]) to \(seek)")
        }
    }

    mutating func baoSlice(_ line: [Substring]) {
        let input = baoInput(Int(line[1])!)
        let hash = try! Blake3.Digest(bytes: bytes(line[2]))
        let start = Int(line[3])!, count = Int(line[4])!
        let (encoding, _) = Bao.encode(input)
        guard let slice = try? Bao.slice(from: BaoBufferSource(encoding), start: UInt64(start), count: UInt64(count))
        else { return checker.check(false, "bao slice \(line[1]) \(start)+\(count)") }
        checker.check(
            slice.count == Int(line[5])! && Blake3.hash(slice).bytes == bytes(line[6]),
            "bao slice bytes \(line[1]) \(start)+\(count)")
        let expected = start >= input.count ? [] : Array(input[start..<min(start + count, input.count)])
        let decoded = try? Bao.decodeSlice(
            BaoBufferSource(slice), hash: hash, start: UInt64(start), count: UInt64(count))
        checker.check(decoded == expected, "bao slice decode \(line[1]) \(start)+\(count)")
        for point in integers(line[7]) {
            checker.check(
                fails { () throws(BaoError) in
                    try Bao.decodeSlice(
                        BaoBufferSource(flipped(slice, at: point)), hash: hash, start: UInt64(start),
                        count: UInt64(count))
                }, "bao slice \(line[1]) \(start)+\(count) corruption \(point)")
        }
    }

    mutating func chacha(_ line: [Substring]) {
        let rounds = ChaCha.Rounds(rawValue: Int(line[1])!)!
        let key = try! CipherKey(bytes: bytes(line[2]))
        let nonce = bytes(line[3])
        switch line[0] {
        case "chacha":
            let expected = bytes(line[5])
            var cipher = ChaCha(key: key, nonce: try! ChaCha.Nonce(nonce), rounds: rounds, counter: UInt64(line[4])!)
            checker.check((try? cipher.keystream(count: expected.count)) == expected, "chacha\(line[1]) \(line[2])")
        case "hchacha":
            let subkey = (try? ChaCha.HChaChaNonce(nonce)).map { ChaCha.hChaCha(key: key, nonce: $0, rounds: rounds) }
            checker.check(subkey?.withUnsafeBytes { Array($0) } == bytes(line[4]), "hchacha\(line[1]) \(line[2])")
        default:
            var text = blake3Input(Int(line[5])!)
            var cipher = XChaCha.cipher(key: key, nonce: try! XChaCha.Nonce(nonce), rounds: rounds, counter: UInt64(line[4])!)
            try? cipher.apply(to: &text)
            checker.check(text == bytes(line[6]), "xchacha\(line[1]) \(line[2]) length \(line[5])")
        }
    }

    mutating func siv(_ line: [Substring]) {
        let key = try! CipherKey(bytes: bytes(line[1]))
        let nonce = try! XChaCha8Blake3SIV.Nonce(bytes(line[2]))
        let ad = (0..<Int(line[3])!).map { UInt8(($0 + 7) % 251) }
        let plaintext = blake3Input(Int(line[4])!)
        let box = try! XChaCha8Blake3SIV.seal(plaintext, key: key, nonce: nonce, associatedData: ad)
        let what = "xchacha8blake3siv ad \(line[3]) plaintext \(line[4])"
        checker.check(box.tag == bytes(line[5]), "\(what): tag")
        if plaintext.count > 4096 {
            checker.check(Blake3.hash(box.ciphertext).bytes == bytes(line[7]), "\(what): ciphertext")
        } else {
            checker.check(box.ciphertext == bytes(line[6]), "\(what): ciphertext")
        }
        checker.check(
            (try? XChaCha8Blake3SIV.open(box, key: key, nonce: nonce, associatedData: ad)) == plaintext, "\(what): open")
        var forged = box
        forged.tag[31] ^= 0x80
        checker.check(
            (try? XChaCha8Blake3SIV.open(forged, key: key, nonce: nonce, associatedData: ad)) == nil,
            "\(what): a forged tag is refused")
    }

    /// Every frame of the zstd manifest (made by the reference `zstd` and `b3sum`), then a round trip.
    mutating func zstd() {
        guard let manifest = readFile("zstd/manifest.txt") else {
            return checker.check(false, "zstd/manifest.txt is missing")
        }
        for line in String(decoding: manifest, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ")
            guard let frame = readFile("zstd/" + fields[0]) else {
                checker.check(false, "zstd/\(fields[0]) is missing")
                continue
            }
            var dictionary: ZstdDictionary? = nil
            if fields[1] != "-" {
                dictionary = readFile("zstd/" + fields[1]).flatMap { try? ZstdDictionary($0) }
            }
            var output: [UInt8]? = nil
            var failure = ""
            do throws(ZstdError) {
                output = try Zstd.decompress(frame, dictionary: dictionary)
            } catch {
                failure = ": \(error.description)"
            }
            checker.check(
                output?.count == Int(fields[2])! && output.map { Blake3.hash($0).bytes } == bytes(fields[3]),
                "zstd \(fields[0])\(failure)")
        }
        let text = Array("Embedded Swift compresses and decompresses this line, again and again. ".utf8)
        let input = (0..<200).flatMap { _ in text }
        for level in [1, 3, 9, 19] {
            let frame = ZstdCompressor(options: ZstdCompressionOptions(level: level)).compressFrame(input)
            checker.check(
                frame.count < input.count / 10 && (try? Zstd.decompress(frame)) == input, "zstd round trip level \(level)")
        }
    }
}

@_expose(wasm, "_start")
@_cdecl("_start")
func start() {
    guard let vectors = readFile("vectors.txt") else {
        write("vectors.txt not found in the directory given with --dir\n")
        wasiExit(2)
    }
    var program = Program()
    for line in String(decoding: vectors, as: UTF8.self).split(separator: "\n") {
        program.run(line.split(separator: " "))
    }
    program.zstd()
    write("\(program.checker.checked) vectors checked, \(program.checker.failures) failed\n")
    wasiExit(program.checker.failures == 0 ? 0 : 1)
}
