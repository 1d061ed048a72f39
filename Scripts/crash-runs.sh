#!/usr/bin/env bash
# The long crash runs of MaimoKeystore and MaimoIndex, in release mode: a child process writes
# acknowledged batches / commits transactions and is SIGKILLed at random moments, KILLS times for
# each store (default 1000); after every kill the store must hold every acknowledged write and
# nothing half-applied. MAIMO_SEED=N replays a run.
#
#   Scripts/crash-runs.sh [KILLS]
set -euo pipefail
cd "$(dirname "$0")/.."
kills="${1:-1000}"
MAIMO_KV_KILLS="$kills" MAIMO_INDEX_KILLS="$kills" swift test -c release --filter CrashTests
