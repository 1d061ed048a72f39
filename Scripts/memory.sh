#!/usr/bin/env bash
# Peak resident memory of `maimo store`, `verify` and `retrieve` on a generated tree of random
# files (2 MiB each, 100 per directory), with a provider process on loopback:
#
#   Scripts/memory.sh [GIB] [DIR]      # default 10 GiB under /tmp; needs twice that on disk
#
# Prints each command's maximum resident set (GNU time's %M) and the provider's VmHWM.
set -euo pipefail
cd "$(dirname "$0")/.."
gib=${1:-10}
root=${2:-/tmp}/maimo-memory-$$
maimo=.build/release/maimo
swift build -c release --product maimo >/dev/null
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time; Debian: apt-get install time)" >&2; exit 1; }
mkdir -p "$root/tree"
trap 'kill $server 2>/dev/null || true; rm -rf "$root"' EXIT
python3 - "$root/tree" "$gib" <<'PY'
import os, sys
root, gib = sys.argv[1], int(sys.argv[2])
files = gib * 512
for i in range(files):
    directory = f"{root}/d{i // 100}"
    os.makedirs(directory, exist_ok=True)
    with open(f"{directory}/f{i % 100}.bin", "wb") as f:
        f.write(os.urandom(2 << 20))
PY
echo "tree: $(du -sh "$root/tree" | cut -f1) in $(find "$root/tree" -type f | wc -l) files"
$maimo init --home "$root/client" >/dev/null
$maimo init --home "$root/provider" >/dev/null
$maimo provider allow "$($maimo id --home "$root/client")" --store "$root/store" >/dev/null
$maimo provider serve --home "$root/provider" --store "$root/store" --listen 127.0.0.1:0 > "$root/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$root/serve.log" && break; sleep 0.1; done
port=$(grep -o "listening on 127.0.0.1:[0-9]*" "$root/serve.log" | grep -o "[0-9]*$")
$maimo peer add p "127.0.0.1:$port" --id "$($maimo id --home "$root/provider")" --home "$root/client" >/dev/null
/usr/bin/time -f "store:    %M KB max resident, %e s" $maimo store "$root/tree" --home "$root/client" >/dev/null
/usr/bin/time -f "verify:   %M KB max resident, %e s" $maimo verify --home "$root/client" --samples 50 >/dev/null
rm -rf "$root/tree"
/usr/bin/time -f "retrieve: %M KB max resident, %e s" $maimo retrieve "$root/tree" --home "$root/client" >/dev/null
echo "provider: $(grep VmHWM /proc/$server/status | tr -s ' ')"
