#!/usr/bin/env bash
# Builds Scripts/consumer, a package that depends on the MaimoBlake3 product alone, from a clean
# scratch directory, runs it (two BLAKE3 vectors), and fails if the build compiled anything but
# MaimoBlake3 and the consumer itself: an app that wants BLAKE3 must not build SwiftNIO,
# swift-crypto or the rest of Maimo.
set -euo pipefail
cd "$(dirname "$0")/consumer"
scratch=$(mktemp -d /tmp/maimo-consumer.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
log="$scratch/build.log"
swift build --scratch-path "$scratch" -v > "$log" 2>&1 || { tail -40 "$log"; exit 1; }
# Every module swiftc was asked to compile (-module-name X), minus the consumer and MaimoBlake3;
# manifests and the package plugins SwiftPM compiles for the graph (ArgumentParser's) are not
# modules of the build, and C targets (BoringSSL) would show as clang compiles.
others=$(grep -v -e ManifestAPI -e PluginAPI "$log" | grep -o -- '-module-name [A-Za-z0-9_]*' | awk '{print $2}' | sort -u \
    | grep -vx -e blake3_consumer -e MaimoBlake3 || true)
others="$others $(grep -o 'clang[^ ]* .*-c [^ ]*\.c' "$log" | head -3 || true)"
others=$(echo $others)
if [ -n "$others" ]; then
    echo "the consumer of MaimoBlake3 also compiled: $(echo $others)" >&2
    exit 1
fi
"$scratch/debug/blake3-consumer"
echo "consumer: built MaimoBlake3 alone and checked 2 vectors"
