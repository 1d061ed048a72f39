#!/usr/bin/env python3
"""Regenerates the zstd decoder fixtures with the reference `zstd` CLI (v1.5.x).

Run from this folder: `python3 make-fixtures.py`. Inputs are generated from a fixed seed, so
the inputs are reproducible; the frames depend on the zstd version that made them. The
manifest lists each frame, the dictionary it needs (or -), the expected output size and the
BLAKE3 (b3sum) of the output; the tests decode each frame and compare.
"""
import json, os, random, subprocess, struct

rng = random.Random(20261125)
WORDS = ("the of and to in is was for on that with as by at from this be are or an it not "
         "which have has but were their they one all been more when will would there can "
         "storage verify retrieve remote provider onion block frame window literal sequence "
         "offset match dictionary entropy huffman table state stream checksum content").split()

def text(n):
    out, line = [], []
    size = 0
    while size < n:
        w = rng.choice(WORDS)
        line.append(w)
        if len(line) > rng.randint(6, 14):
            s = " ".join(line).capitalize() + ".\n"
            out.append(s); size += len(s); line = []
    return "".join(out).encode()[:n]

def record(i):
    return json.dumps({"id": i, "user": f"user{rng.randint(1, 500)}", "path": "/home/" + "/".join(rng.choice(WORDS) for _ in range(3)),
                       "size": rng.randint(0, 1 << 30), "mtime": 1700000000 + rng.randint(0, 10**7),
                       "tags": [rng.choice(WORDS) for _ in range(rng.randint(0, 4))], "ok": rng.random() < 0.9})

def json_lines(n):
    out, i = [], 0
    while sum(map(len, out)) < n:
        out.append(record(i) + "\n"); i += 1
    return "".join(out).encode()[:n]

def binary(n):
    # Little-endian records with slowly changing fields: compressible, but not text.
    out = bytearray()
    t = 0
    while len(out) < n:
        t += rng.randint(1, 50)
        out += struct.pack("<IHhH", t, rng.randint(0, 7), rng.randint(-300, 300), rng.randint(0, 1000))
    return bytes(out[:n])

def runs(n):
    out = bytearray()
    while len(out) < n:
        out += bytes([rng.choice([0, 0, 0, 255, 32])]) * rng.randint(1, 5000)
    return bytes(out[:n])

def zstd(args, data, piped=False):
    """Compresses `data` from a file (so the header records its size), or piped (no size)."""
    if piped:
        return subprocess.run(["zstd", "-q", "-c"] + args, input=data, check=True, capture_output=True).stdout
    with open("input.tmp", "wb") as f: f.write(data)
    try:
        return subprocess.run(["zstd", "-q", "-c"] + args + ["input.tmp"], check=True, capture_output=True).stdout
    finally:
        os.remove("input.tmp")

def b3(data):
    return subprocess.run(["b3sum", "--no-names"], input=data, check=True, capture_output=True).stdout.decode().strip()

manifest = []
def add(name, frame, plain, dictionary="-"):
    with open(name, "wb") as f: f.write(frame)
    manifest.append(f"{name} {dictionary} {len(plain)} {b3(plain)}")

inputs = {"text": text(50_000), "json": json_lines(60_000), "binary": binary(40_000)}
for kind, data in inputs.items():
    for level in ["-1", "-3", "-9", "-19"]:
        add(f"{kind}{level}.zst", zstd([level], data), data)
# More than one 128 KiB block.
large = text(150_000)
add("text-large-1.zst", zstd(["-1"], large), large)
add("text-large-19.zst", zstd(["-19"], large), large)
data = inputs["text"]
add("text-ultra22.zst", zstd(["--ultra", "-22"], data), data)
add("text-long.zst", zstd(["--long=27", "-3"], data), data)
# Piped input: no content size in the header, window from the level (--long=27: 128 MiB window).
with open("stdin-input.tmp", "wb") as f: f.write(data)
piped = subprocess.run("cat stdin-input.tmp | zstd -q -c --long=27 -3", shell=True, check=True, capture_output=True).stdout
os.remove("stdin-input.tmp")
add("text-piped-long.zst", piped, data)
add("json-no-check.zst", zstd(["-3", "--no-check"], inputs["json"]), inputs["json"])
add("json-no-size.zst", zstd(["-3", "--no-content-size"], inputs["json"]), inputs["json"])
add("json-piped.zst", zstd(["-3"], inputs["json"], piped=True), inputs["json"])
hello = b"Hello, zstd! " * 7
add("small.zst", zstd(["-3"], hello), hello)                     # single segment, 1-byte size
zeros = bytes(300_000) + b"a" * 100_000
add("zeros.zst", zstd(["-3"], zeros), zeros)                     # RLE blocks
# The same frame with its content size spelled in 8 bytes (only a >4 GiB input would get that).
framed = zstd(["-3", "--no-check"], inputs["text"], piped=True)
assert framed[4] == 0x00                                           # windowed, no size, no ID
eight = framed[:4] + bytes([0xC0]) + framed[5:6] + struct.pack("<Q", len(inputs["text"])) + framed[6:]
add("size-8-bytes.zst", eight, inputs["text"])
a, b = inputs["json"][:40_000], inputs["binary"][:30_000]
add("multi-frame.zst", zstd(["-3"], a) + zstd(["-19"], b), a + b)
skippable = struct.pack("<II", 0x184D2A53, 11) + b"hello world"
add("skippable.zst", skippable + zstd(["-1"], a) + struct.pack("<II", 0x184D2A5F, 0) + zstd(["-9"], b), a + b)
add("empty.zst", zstd([], b""), b"")
noise = rng.randbytes(20_000)
add("incompressible.zst", zstd(["-3"], noise), noise)
r = runs(300_000)
add("runs-1.zst", zstd(["-1"], r), r)
add("runs-19.zst", zstd(["-19"], r), r)

# A trained dictionary for small JSON records, and records compressed with it.
os.makedirs("samples.tmp", exist_ok=True)
for i in range(400):
    with open(f"samples.tmp/{i}.json", "wb") as f: f.write(record(i).encode())
subprocess.run("zstd -q --train samples.tmp/*.json --maxdict=4096 -o json.dict", shell=True, check=True)
os.rename("samples.tmp", "samples2.tmp")
records = "".join(record(1000 + i) + "\n" for i in range(4)).encode()
one = record(2000).encode()
add("dict-record.zst", zstd(["-3", "-D", "json.dict"], one), one, "json.dict")
add("dict-records-19.zst", zstd(["-19", "-D", "json.dict"], records), records, "json.dict")
add("dict-no-id.zst", zstd(["-3", "-D", "json.dict", "--no-dictID"], one), one, "json.dict")
# Raw content dictionary: any file that lacks the dictionary magic.
# Dictionary IDs that fit one and two bytes give 1- and 2-byte ID fields in the frame header.
for dict_id, name in ((200, "small-id.dict"), (40_000, "medium-id.dict")):
    subprocess.run(f"zstd -q --train samples2.tmp/*.json --maxdict=2048 --dictID={dict_id} -o {name}", shell=True, check=True)
    add(f"dict-id-{dict_id}.zst", zstd(["-3", "-D", name], one), one, name)
for name in os.listdir("samples2.tmp"): os.remove(f"samples2.tmp/{name}")
os.rmdir("samples2.tmp")
raw = large[:8_000]
with open("raw.dict", "wb") as f: f.write(raw)
tail = large[8_000:20_000]
add("dict-raw.zst", zstd(["-3", "-D", "raw.dict"], tail), tail, "raw.dict")

with open("manifest.txt", "w") as f:
    f.write("# frame dictionary size b3sum-of-output (made by make-fixtures.py)\n")
    f.write("\n".join(manifest) + "\n")
