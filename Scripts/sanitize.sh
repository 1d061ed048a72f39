#!/usr/bin/env bash
# The test suite under a sanitizer, in a build directory of its own (.build-thread or
# .build-address), so that the normal build is untouched:
#
#   Scripts/sanitize.sh thread  [FILTER]   # ThreadSanitizer: data races
#   Scripts/sanitize.sh address [FILTER]   # AddressSanitizer: out-of-bounds, use after free
#
# FILTER is `swift test --filter`'s (a suite or module name); without it, everything. Exits
# non-zero when a test fails or the sanitizer reports anything (halt_on_error). Run it before a
# submission that touches concurrency (threads, locks, atomics, the provider's event loops); a
# whole run takes a long time on two cores, so CI runs neither (see the README's "Tests").
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-}"
case "$kind" in
    thread|address) ;;
    *) echo "usage: Scripts/sanitize.sh thread|address [FILTER]" >&2; exit 2 ;;
esac
filter=()
[ $# -ge 2 ] && filter=(--filter "$2")
# Tests with sub-second deadlines give them more time under a sanitizer's slowdown.
export MAIMO_SANITIZER="$kind"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export ASAN_OPTIONS="halt_on_error=1 detect_leaks=0 ${ASAN_OPTIONS:-}"
# The CLI tests run the `maimo` executable this build makes, so it is sanitized too.
# MAIMO_NO_PREFETCH: the compiler aborts on BLAKE3's prefetch intrinsic under TSan.
swift build --build-tests --sanitize="$kind" --scratch-path ".build-$kind" -Xswiftc -DMAIMO_NO_PREFETCH
# One test at a time: instrumented debug code runs handshakes and hashing 10-100x slower, and
# the suite's tests side by side on two cores starve each other's connections into timeouts.
swift test --skip-build --no-parallel --sanitize="$kind" --scratch-path ".build-$kind" -Xswiftc -DMAIMO_NO_PREFETCH "${filter[@]}"
