// The three functions as hazmat parameters: which key and flags a tree node is compressed with.

extension Blake3.Hazmat {
    /// Which of BLAKE3's three functions a hasher computes.
    public enum Mode: Sendable, Equatable {
        /// The plain hash.
        case hash
        /// The keyed hash under a 32-byte key.
        case keyedHash(Blake3.Key)
        /// The second half of key derivation: hashing key material under the context key made
        /// from the context string (``deriveKeyContextKey(_:)`` computes it).
        case deriveKeyMaterial(contextKey: Blake3.Key)

        var keyWords: SIMD8<UInt32> {
            switch self {
            case .hash: Blake3Constants.iv
            case .keyedHash(let key): key.words
            case .deriveKeyMaterial(let key): key.words
            }
        }

        var flags: UInt32 {
            switch self {
            case .hash: 0
            case .keyedHash: Blake3Constants.keyedHash
            case .deriveKeyMaterial: Blake3Constants.deriveKeyMaterial
            }
        }

        /// The context key for `context`, for ``deriveKeyMaterial(contextKey:)``.
        public static func deriveKeyContextKey(_ context: String) -> Blake3.Key {
            var hasher = Blake3(key: Blake3Constants.iv, flags: Blake3Constants.deriveKeyContext)
            hasher.update(context.utf8)
            return Blake3.Key(words: hasher.finalOutput().chainingValueAsRoot())
        }
    }
}

extension Blake3 {
    /// A hasher in the given mode (hazmat: the key derivation's context key computed elsewhere).
    public init(mode: Blake3.Hazmat.Mode, threadCount: Int = 1) {
        self.init(key: mode.keyWords, flags: mode.flags, threadCount: threadCount)
    }
}
