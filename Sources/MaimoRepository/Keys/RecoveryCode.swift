/// The recovery code: the 32-byte root secret in bech32m (BIP-350) with the prefix `maimo`
/// (Docs/Repository.md §1). Its BCH checksum catches any error in up to four characters.
public enum RecoveryCode {
    static let prefix = "maimo"
    static let alphabet = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    static let bech32mConstant: UInt32 = 0x2BC8_30A3
    /// `maimo1` + 52 data characters + 6 checksum characters.
    public static let length = 64

    /// The code for `secret` (32 bytes), lower case, without separators.
    public static func encode(_ secret: [UInt8]) -> String {
        precondition(secret.count == 32, "a root secret is 32 bytes")
        let data = regroup(secret, from: 8, to: 5, pad: true) ?? []
        return encodeBech32m(humanPart: prefix, data: data)
    }

    /// The secret a code stands for. Spaces and dashes are ignored; case may be upper or lower.
    public static func decode(_ text: String) throws(RecoveryCodeError) -> [UInt8] {
        let compact = text.filter { $0 != " " && $0 != "-" && $0 != "\t" && $0 != "\n" && $0 != "\r" }
        let lower = compact.lowercased(), upper = compact.uppercased()
        guard compact == lower || compact == upper else { throw .mixedCase }
        guard lower.hasPrefix(prefix + "1") else { throw .wrongPrefix }
        guard lower.utf8.count == length else { throw .wrongLength(lower.utf8.count) }
        let (human, data) = try decodeBech32m(lower)
        guard human == prefix else { throw .wrongPrefix }
        guard let secret = regroup(data, from: 5, to: 8, pad: false), secret.count == 32 else { throw .badPadding }
        return secret
    }

    // MARK: bech32m (BIP-173 with BIP-350's constant)

    static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3B6A_57B2, 0x2650_8E6D, 0x1EA1_19FA, 0x3D42_33DD, 0x2A14_62B3]
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1FF_FFFF) << 5 ^ UInt32(value)
            for i in 0..<5 where (top >> i) & 1 == 1 { checksum ^= generator[i] }
        }
        return checksum
    }

    static func expand(_ human: String) -> [UInt8] {
        let bytes = Array(human.utf8)
        return bytes.map { $0 >> 5 } + [0] + bytes.map { $0 & 31 }
    }

    /// A bech32m string for any human part and 5-bit data (used by the tests with BIP-350's vectors).
    static func encodeBech32m(humanPart: String, data: [UInt8]) -> String {
        let values = expand(humanPart) + data + [0, 0, 0, 0, 0, 0]
        let checksum = polymod(values) ^ bech32mConstant
        let check = (0..<6).map { UInt8((checksum >> (5 * (5 - UInt32($0)))) & 31) }
        return humanPart + "1" + String(decoding: (data + check).map { alphabet[Int($0)] }, as: UTF8.self)
    }

    /// Splits a lower- or upper-case bech32m string into its human part and 5-bit data, checking
    /// the characters and the checksum.
    static func decodeBech32m(_ text: String) throws(RecoveryCodeError) -> (String, [UInt8]) {
        let bytes = Array(text.utf8)
        guard bytes.count <= 90, let separator = bytes.lastIndex(of: UInt8(ascii: "1")), separator >= 1,
              bytes.count - separator - 1 >= 6 else { throw .wrongPrefix }
        var human = [UInt8]()
        for (i, byte) in bytes[..<separator].enumerated() {
            guard byte >= 33 && byte <= 126 else { throw .badCharacter(position: i + 1) }
            human.append(byte >= 65 && byte <= 90 ? byte + 32 : byte)
        }
        var data = [UInt8]()
        for i in (separator + 1)..<bytes.count {
            var byte = bytes[i]
            if byte >= 65 && byte <= 90 { byte += 32 }
            guard let value = alphabet.firstIndex(of: byte) else { throw .badCharacter(position: i + 1) }
            data.append(UInt8(value))
        }
        let humanText = String(decoding: human, as: UTF8.self)
        guard polymod(expand(humanText) + data) == bech32mConstant else { throw .badChecksum }
        return (humanText, Array(data.dropLast(6)))
    }

    /// Regroups bits (8 → 5 with zero padding, or 5 → 8 refusing non-zero padding).
    static func regroup(_ input: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator = 0, bits = 0
        var output = [UInt8]()
        let mask = (1 << to) - 1
        for value in input {
            accumulator = (accumulator << from) | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                output.append(UInt8((accumulator >> bits) & mask))
            }
            accumulator &= (1 << bits) - 1
        }
        if pad {
            if bits > 0 { output.append(UInt8((accumulator << (to - bits)) & mask)) }
        } else if bits >= from || (accumulator & ((1 << bits) - 1)) != 0 {
            return nil
        }
        return output
    }
}
