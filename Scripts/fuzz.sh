#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer and AddressSanitizer (Fuzz/ package, one executable per
# target, each asserting what must hold, not only "no crash").
#
#   Scripts/fuzz.sh --list                 # the targets, one a line
#   Scripts/fuzz.sh TARGET [SECONDS]       # build and run one (60 s by default) on its corpus
#   Scripts/fuzz.sh --all [SECONDS]        # every target in turn, built at once (CI: 10 s each)
#
# FUZZ_CONFIGURATION=debug builds without optimisation (half the build time, fewer executions a
# second): what CI uses for its smoke run. Release is the default, for long runs. FUZZ_RUNS=N
# stops a target after N executions (or SECONDS, whichever comes first): FUZZ_RUNS=10000000
# Scripts/fuzz.sh fuzz-bao 3600 is a run of ten million. FUZZ_MAX_LEN=N caps an input at N bytes
# (65,536 by default). FUZZ_CORPUS=DIR keeps the working corpus in DIR/TARGET across runs (as
# OSS-Fuzz does), so that a long run can be made of several: each starts where the last ended.
#
# Each target starts from the committed seed corpus in Fuzz/Corpus/TARGET; new inputs go to a
# scratch copy, never into the repository. Exits non-zero when a target crashed or an assertion
# failed; the input that did it is kept as Fuzz/crash-TARGET-* (add it to the regression tests).
set -euo pipefail
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"   # --all calls itself after the cd
cd "$(dirname "$0")/../Fuzz"
targets=$(ls Sources | grep "^fuzz-")   # FuzzSupport, FuzzFixtures, make-seeds are not targets
configuration=${FUZZ_CONFIGURATION:-release}
build() {
    # -g for symbolised reports; -parse-as-library because each target's entry point is its own.
    swift build -c "$configuration" --scratch-path .build-fuzz "$@" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -g
}
case "${1:-}" in
    --list) echo "$targets"; exit 0 ;;
    --all)
        # Product by product (make-seeds has a main of its own and cannot link with libFuzzer's),
        # all before the first run; the modules they share compile once.
        for t in $targets; do build --product "$t" >/dev/null || build --product "$t"; done
        for t in $targets; do FUZZ_BUILT=1 "$self" "$t" "${2:-30}"; done
        exit 0 ;;
    ""|-h|--help) sed -n '2,18p' "$self"; exit 2 ;;
esac
target=$1
seconds=${2:-60}
echo "$targets" | grep -qx "$target" || { echo "no fuzz target $target (see --list)" >&2; exit 2; }
if [ -z "${FUZZ_BUILT:-}" ]; then build --product "$target" >/dev/null || build --product "$target"; fi
work=$(mktemp -d /tmp/maimo-fuzz-"$target".XXXXXX)
trap 'rm -rf "$work"' EXIT
corpus="$work/corpus"
if [ -n "${FUZZ_CORPUS:-}" ]; then corpus="$FUZZ_CORPUS/$target"; fi   # kept across runs
mkdir -p "$corpus"
[ -d "Corpus/$target" ] && cp -r "Corpus/$target/." "$corpus/"
status=0
# Swift's own backtracer would symbolicate a failed precondition for minutes; libFuzzer reports it.
export SWIFT_BACKTRACE=enable=no
".build-fuzz/$configuration/$target" "$corpus" -max_total_time="$seconds" -max_len="${FUZZ_MAX_LEN:-65536}" -rss_limit_mb=2048 \
    -artifact_prefix="$PWD/crash-$target-" -print_final_stats=1 ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} 2>"$work/log" || status=$?
grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)" "$work/log" || true
grep -oE "cov: [0-9]+" "$work/log" | tail -1 || true
# LeakSanitizer's own check at exit can fail to read /proc/PID/task after a long run ("LeakSanitizer
# has encountered a fatal error"; seen once, after fuzz-index's ten million executions had all
# passed): not a finding about the target, so a run that finished is reported as such.
if [ $status -ne 0 ] && grep -q "LeakSanitizer has encountered a fatal error" "$work/log" \
    && grep -qE "^(#[0-9]+ +DONE|Done [0-9]+ runs)" "$work/log" && ! grep -qE "^==[0-9]+==ERROR|deadly signal|Fatal error" "$work/log"; then
    echo "fuzz target $target: LeakSanitizer's exit check failed after the run finished (not a finding)" >&2
    status=0
fi
if [ $status -ne 0 ]; then
    tail -40 "$work/log" >&2
    echo "fuzz target $target FAILED (status $status); the input is in Fuzz/crash-$target-*" >&2
    exit 1
fi
echo "fuzz target $target: ok"
