#!/usr/bin/env python3
"""Turns the official test vectors (Tests/Vectors/*.json) into lines of words that the Embedded
Swift program reads without a JSON parser: `kind field field ...`, byte strings in hex, lists
comma-separated ('-' when empty). Usage: vectors.py VECTORS_DIR > vectors.txt"""
import json
import sys

directory = sys.argv[1]


def load(name):
    with open(f"{directory}/{name}.json") as f:
        return json.load(f)


def words(*fields):
    out = []
    for field in fields:
        if isinstance(field, list):
            out.append(",".join(str(x) for x in field) or "-")
        elif field == "" or field is None:
            out.append("-")
        else:
            out.append(str(field))
    print(" ".join(out))


blake3 = load("blake3")
words("blake3-key", blake3["key"].encode().hex())
words("blake3-context", blake3["context_string"].encode().hex())
for c in blake3["cases"]:
    words("blake3", c["input_len"], c["hash"], c["keyed_hash"], c["derive_key"])

bao = load("bao")
for c in bao["hash"]:
    words("bao-hash", c["input_len"], c["bao_hash"])
for c in bao["encode"]:
    words("bao-encode", c["input_len"], c["output_len"], c["bao_hash"], c["encoded_blake3"], c["corruptions"])
for c in bao["outboard"]:
    words("bao-outboard", c["input_len"], c["output_len"], c["bao_hash"], c["encoded_blake3"],
          c["outboard_corruptions"], c["input_corruptions"])
for c in bao["seek"]:
    words("bao-seek", c["input_len"], c["seek_offsets"])
for c in bao["slice"]:
    for s in c["slices"]:
        words("bao-slice", c["input_len"], c["bao_hash"], s["start"], s["len"], s["output_len"],
              s["output_blake3"], s["corruptions"])

chacha = load("chacha")
for c in chacha["chacha"]:
    words("chacha", c["rounds"], c["key"], c["nonce"], c["counter"], c["keystream"])
for c in chacha["hchacha"]:
    words("hchacha", c["rounds"], c["key"], c["nonce"], c["subkey"])
for c in chacha["xchacha"]:
    words("xchacha", c["rounds"], c["key"], c["nonce"], c["counter"], c["plaintext_len"], c["ciphertext"])

siv = load("xchacha8blake3siv")
for c in siv["cases"]:
    words("siv", c["key"], c["nonce"], c["ad_len"], c["plaintext_len"], c["tag"], c.get("ciphertext"),
          c.get("ciphertext_blake3"))
