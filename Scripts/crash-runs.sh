#!/usr/bin/env bash
# The long crash runs, in release mode, KILLS kills each (default 1000):
# - MaimoKeystore and MaimoIndex: a child process writes acknowledged batches / commits
#   transactions and is SIGKILLed at random moments; after every kill the store must hold every
#   acknowledged write and nothing half-applied;
# - the engine: `maimo store` and the provider process killed (StoreCrashTests), and `maimo
#   prune`, `forget` and `rm` killed (PruneCrashTests, two kills a round), every acknowledged
#   snapshot retrieved after each.
# MAIMO_SEED=N replays a run.
#
#   Scripts/crash-runs.sh [KILLS]
set -euo pipefail
cd "$(dirname "$0")/.."
kills="${1:-1000}"
MAIMO_KV_KILLS="$kills" MAIMO_INDEX_KILLS="$kills" MAIMO_ENGINE_KILLS="$kills" MAIMO_PRUNE_ROUNDS=$(( (kills + 1) / 2 )) \
    swift test -c release --filter CrashTests
