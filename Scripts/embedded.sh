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
SWIFTC=(swiftc -enable-experimental-feature Embedded -enable-experimental-feature Extern -wmo -parse-as-library
        -disable-stack-protector -package-name Maimo)
A64="$OUT/aarch64" WASM="$OUT/wasm32"
mkdir -p "$A64" "$WASM"
began=$(date +%s)

compile() {  # compile TARGET DIR MODULE OPTIMIZATION: an object and a module for the next
    local target=$1 dir=$2 module=$3 optimization=$4 start
    start=$(date +%s)
    mapfile -t sources < <(find "Sources/$module" -name '*.swift' | sort)
    "${SWIFTC[@]}" "$optimization" -target "$target" -module-name "$module" -I "$dir" \
        -emit-module -emit-module-path "$dir/$module.swiftmodule" \
        -c "${sources[@]}" -o "$dir/$module.o" 2>&1 | { grep -v 'unknown driver flag' || true; }
    [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "embedded: $module for $target did not build" >&2; return 1; }
    echo "  $target $module ($optimization): $(( $(date +%s) - start )) s"
}

# Two lanes on two cores (a compiler is one thread). AArch64: the kernels' modules optimised, for
# the NEON check; the others only have to build. WebAssembly: everything optimised (the vector
# program runs in an interpreter).
(
    compile aarch64-none-none-elf "$A64" MaimoXXHash -Onone
    compile aarch64-none-none-elf "$A64" MaimoBlake3 -O
    compile aarch64-none-none-elf "$A64" MaimoBao -Onone
    compile aarch64-none-none-elf "$A64" MaimoCipher -O
    compile aarch64-none-none-elf "$A64" MaimoZstd -Onone
    compile wasm32-unknown-none-wasm "$WASM" MaimoXXHash -O
    compile wasm32-unknown-none-wasm "$WASM" MaimoZstd -O
) > "$OUT/lane-a.log" 2>&1 &
lane=$!
compile wasm32-unknown-none-wasm "$WASM" MaimoBlake3 -O
compile wasm32-unknown-none-wasm "$WASM" MaimoBao -O
compile wasm32-unknown-none-wasm "$WASM" MaimoCipher -O
status=0
wait "$lane" || status=$?
cat "$OUT/lane-a.log"
[ "$status" -eq 0 ] || { echo "embedded: a build failed" >&2; exit 1; }
ls -l "$A64"/*.o

# NEON: the BLAKE3 and ChaCha kernels must stay vector code (Docs/Building.md, "NEON").
for module in MaimoBlake3 MaimoCipher; do
    "$(dirname "$(command -v swiftc)")/llvm-objdump" -d --no-show-raw-insn "$A64/$module.o" > "$A64/$module.s"
    adds=$(grep -cE '\badd\s+v[0-9]+\.4s' "$A64/$module.s" || true)
    eors=$(grep -cE '\beor\s+v[0-9]+\.16b' "$A64/$module.s" || true)
    shifts=$(grep -cE '\b(usra|ushr|sli|shl|rev32)\s+v[0-9]+\.' "$A64/$module.s" || true)
    echo "  NEON in $module: $adds add .4s, $eors eor .16b, $shifts vector shifts and rotations"
    if [ "$adds" -lt 500 ] || [ "$eors" -lt 500 ] || [ "$shifts" -lt 100 ]; then
        echo "embedded: $module's AArch64 code is not NEON enough (scalarised lanes?)" >&2
        exit 1
    fi
done

"${SWIFTC[@]}" -O -target wasm32-unknown-none-wasm -module-name EmbeddedVectors -I "$WASM" \
    -c Scripts/embedded/Runtime.swift Scripts/embedded/Vectors.swift -o "$WASM/EmbeddedVectors.o" 2>&1 \
    | { grep -v 'unknown driver flag' || true; }
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "embedded: the vector program did not build" >&2; exit 1; }
wasm-ld --no-entry --export=_start -z stack-size=$((8 << 20)) --stack-first \
    --initial-memory=$((1 << 30)) --max-memory=$((1 << 30)) \
    "$WASM/EmbeddedVectors.o" $(printf "$WASM/%s.o " "${MODULES[@]}") \
    "$(dirname "$(command -v swiftc)")/../lib/swift/embedded/wasm32-unknown-none-wasm/libswiftUnicodeDataTables.a" \
    -o "$WASM/vectors.wasm" 2>&1 | sed 's/^/wasm-ld: /'
ls -l "$WASM/vectors.wasm"
echo "  built in $(( $(date +%s) - began )) s"

DATA="$WASM/data"
rm -rf "$DATA" && mkdir -p "$DATA/zstd"
python3 Scripts/embedded/vectors.py Tests/Vectors > "$DATA/vectors.txt"
cp Tests/MaimoZstdTests/Fixtures/manifest.txt Tests/MaimoZstdTests/Fixtures/*.zst \
    Tests/MaimoZstdTests/Fixtures/*.dict "$DATA/zstd/"
wasmkit run --dir "$DATA" "$WASM/vectors.wasm"
