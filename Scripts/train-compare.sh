#!/usr/bin/env bash
# `maimo zstd --train` against `zstd --train` on three kinds of small files: generated JSON
# records (12,000), generated syslog-style lines (6,000 files of four lines) and C headers from
# /usr/include (3,000 of 1-16 KiB). Each tool trains a 112,640-byte dictionary on the first
# files; the rest are compressed one by one with each dictionary by the same `zstd -b3 -D`, so
# only the dictionaries differ. Training time is the best of three runs of each command.
#
#   Scripts/train-compare.sh            (needs zstd, python3 and a release maimo: swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/.."
maimo="${MAIMO_BIN:-$PWD/.build/release/maimo}"
[ -x "$maimo" ] || { echo "no $maimo: swift build -c release --product maimo" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
python3 - <<'PY'
import os, random, json
random.seed(11)
os.makedirs('json', exist_ok=True); os.makedirs('logs', exist_ok=True)
names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi']
for i in range(12000):
    record = {'id': i, 'user': random.choice(names) + str(random.randint(1, 500)),
              'action': random.choice(['login', 'logout', 'upload', 'download', 'delete']),
              'bytes': random.randint(0, 10**7), 'ok': random.random() < 0.9, 'ts': 1700000000 + random.randint(0, 10**6),
              'path': '/home/' + random.choice(names) + '/' + random.choice(['docs', 'music', 'photos']) + '/' + str(random.randint(1, 9999)) + '.dat'}
    open(f'json/{i:05}.json', 'w').write(json.dumps(record))
processes = ['sshd', 'cron', 'kernel', 'systemd', 'dockerd', 'nginx']
messages = ['Accepted publickey for {u} from 10.0.{a}.{b} port {p} ssh2', 'pam_unix(cron:session): session opened for user {u}',
            'Started Session {p} of user {u}.', 'GET /api/v1/items/{p} HTTP/1.1 200 {a}{b}', 'container {p:x} exited with code {a}',
            'eth0: link up, 1000Mbps, full-duplex']
for i in range(6000):
    lines = []
    for _ in range(4):
        fields = dict(u=random.choice(names), a=random.randint(0, 255), b=random.randint(0, 255), p=random.randint(1000, 65535))
        lines.append(f"Dec  6 {random.randint(0, 23):02}:{random.randint(0, 59):02}:{random.randint(0, 59):02} host "
                     f"{random.choice(processes)}[{random.randint(100, 9999)}]: " + random.choice(messages).format(**fields))
    open(f'logs/{i:05}.log', 'w').write('\n'.join(lines) + '\n')
PY
mkdir src
i=0
for f in $(find /usr/include -name "*.h" -size -16k -size +1k | sort | head -3000); do cp "$f" "src/$(printf %05d $i).h"; i=$((i + 1)); done

best() { sort -n | head -1; }
compressed() { zstd -b3 -i1 -q -D "$1" "${@:2}" 2>&1 | tr '\r' '\n' | grep "MB/s" | tail -1 | awk '{print $2}'; }
printf '%-6s %8s %10s %12s %12s %7s %9s %9s %6s\n' kind train "test (B)" "zstd dict" "maimo dict" ratio "zstd (s)" "maimo (s)" ratio
for kind in json:10000 logs:5000 src:2000; do
    name=${kind%%:*}; count=${kind##*:}
    mapfile -t train < <(ls "$name"/* | head -"$count")
    mapfile -t test < <(ls "$name"/* | tail -n +$((count + 1)))
    theirs=$(for _ in 1 2 3; do /usr/bin/time -f %e zstd -q -f --train "${train[@]}" -o zstd.dict 2>&1 >/dev/null | grep -v WARNING; done | best)
    ours=$(for _ in 1 2 3; do /usr/bin/time -f %e "$maimo" zstd -q -f --train "${train[@]}" -o maimo.dict 2>&1 >/dev/null; done | best)
    a=$(compressed zstd.dict "${test[@]}"); b=$(compressed maimo.dict "${test[@]}")
    printf '%-6s %8d %10d %12d %12d %7.4f %9.2f %9.2f %6.2f\n' "$name" "${#train[@]}" "$(cat "${test[@]}" | wc -c)" "$a" "$b" \
        "$(echo "$b / $a" | bc -l)" "$theirs" "$ours" "$(echo "$ours / $theirs" | bc -l)"
done
