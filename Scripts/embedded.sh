#!/usr/bin/env bash
# Proves the compute cores are pure: builds MaimoXXHash, MaimoBlake3, MaimoBao, MaimoCipher and
# MaimoZstd with Embedded Swift (no operating system, no libc, no Foundation or Dispatch; the
# modules' Platform/ files compile to nothing there) for bare WebAssembly and bare AArch64, links
# a WebAssembly program that checks the official BLAKE3, Bao, ChaCha and XChaCha8-Blake3-SIV
# vectors and the reference zstd's fixtures, and runs it under `wasmkit run`.
# Exits non-zero on any build failure or wrong value; prints, last, how many vectors were checked.
# The AArch64 disassembly of MaimoBlake3 and MaimoCipher is left in $OUT/aarch64/*.s (see
# Docs/Building.md, "NEON").
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${EMBEDDED_BUILD:-.build/embedded}
MODULES=(MaimoXXHash MaimoBlake3 MaimoBao MaimoCipher MaimoZstd)
SWIFTC=(swiftc -enable-experimental-feature Embedded -enable-experimental-feature Extern -wmo -parse-as-library -O -disable-stack-protector)

build() {  # build TARGET DIR: every module as an object and a module for the next
    local target=$1 dir=$2
    mkdir -p "$dir"
    for module in "${MODULES[@]}"; do
        mapfile -t sources < <(find "Sources/$module" -name '*.swift' | sort)
        "${SWIFTC[@]}" -target "$target" -module-name "$module" -I "$dir" \
            -emit-module -emit-module-path "$dir/$module.swiftmodule" \
            -c "${sources[@]}" -o "$dir/$module.o"
    done
}

echo "== aarch64-none-none-elf"
build aarch64-none-none-elf "$OUT/aarch64"
for module in MaimoBlake3 MaimoCipher; do
    llvm-objdump -d --no-show-raw-insn "$OUT/aarch64/$module.o" > "$OUT/aarch64/$module.s"
done
ls -l "$OUT"/aarch64/*.o

echo "== wasm32-unknown-none-wasm"
WASM="$OUT/wasm32"
build wasm32-unknown-none-wasm "$WASM"
"${SWIFTC[@]}" -target wasm32-unknown-none-wasm -module-name EmbeddedVectors -I "$WASM" \
    -c Scripts/embedded/Runtime.swift Scripts/embedded/Vectors.swift -o "$WASM/EmbeddedVectors.o"
# The heap starts at 32 MiB (Scripts/embedded/Runtime.swift): stack and data stay below it.
wasm-ld --no-entry --export=_start -z stack-size=$((8 << 20)) --stack-first \
    --initial-memory=$((1 << 30)) --max-memory=$((1 << 30)) \
    "$WASM/EmbeddedVectors.o" $(printf "$WASM/%s.o " "${MODULES[@]}") \
    "$(dirname "$(command -v swiftc)")/../lib/swift/embedded/wasm32-unknown-none-wasm/libswiftUnicodeDataTables.a" \
    -o "$WASM/vectors.wasm" 2>&1 | sed 's/^/wasm-ld: /'
ls -l "$WASM/vectors.wasm"

# The data the program reads through WASI: the vectors as lines of words, the zstd fixtures.
DATA="$WASM/data"
rm -rf "$DATA" && mkdir -p "$DATA/zstd"
python3 Scripts/embedded/vectors.py Tests/Vectors > "$DATA/vectors.txt"
cp Tests/MaimoZstdTests/Fixtures/manifest.txt Tests/MaimoZstdTests/Fixtures/*.zst \
    Tests/MaimoZstdTests/Fixtures/*.dict "$DATA/zstd/"
wasmkit run --dir "$DATA" "$WASM/vectors.wasm"
