#!/usr/bin/env bash
# Builds every library module's documentation with DocC (swift-docc-plugin), warnings as errors,
# and fails when a public symbol has no documentation comment (Scripts/doc-coverage.py).
#
#   Scripts/docs.sh              all library modules
#   Scripts/docs.sh MaimoBlake3  one or more
#
# The archives are in .build/plugins/Swift-DocC/outputs/MODULE.doccarchive; to read one in a
# browser: `swift package --disable-sandbox preview-documentation --target MODULE`.
set -euo pipefail
cd "$(dirname "$0")/.."

modules=("$@")
if [ ${#modules[@]} -eq 0 ]; then
    modules=(MaimoBlake3 MaimoBao MaimoCipher MaimoXXHash MaimoZstd MaimoKeystore MaimoIndex MaimoErasure
             MaimoTor MaimoRepository MaimoWire Maimo MaimoProvider)
fi
targets=()
for module in "${modules[@]}"; do targets+=(--target "$module"); done

start=$(date +%s)
swift package --disable-sandbox generate-documentation "${targets[@]}" --warnings-as-errors
python3 Scripts/doc-coverage.py "$(dirname "$(swift build --show-bin-path)")/extracted-symbols" "${modules[@]}"
echo "docs: ${#modules[@]} modules built without warnings, every public symbol documented ($(( $(date +%s) - start )) s)"
