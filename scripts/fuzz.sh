#!/usr/bin/env bash
# Long fuzzing runs (issue #15): the SQL fuzzer and the differential test
# against SQLite, for as long as asked. Usage:
#   scripts/fuzz.sh sql  [seconds] [seed]     # mutated/extreme SQL: no panic, no TDB_INTERNAL
#   scripts/fuzz.sh diff [cases]   [seed]     # generated queries compared with SQLite
#   scripts/fuzz.sh node [seconds] [seed]     # random arguments to every SDK method
# Failing SQL inputs are saved to crates/tensordb/tests/fuzz-regressions/
# (commit them: the CI run replays them first).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-sql}
case "$what" in
  sql)  FUZZ_SECS=${2:-3600} FUZZ_SEED=${3:-$RANDOM} FUZZ_SAVE=1 \
          cargo test --release -p tensordb --test fuzz_sql -- --nocapture ;;
  diff) DIFF_CASES=${2:-1000000} DIFF_SEED=${3:-$RANDOM} \
          cargo test --release -p tensordb --test differential_sqlite -- --nocapture ;;
  node) FUZZ_MS=$(( ${2:-3600} * 1000 )) FUZZ_SEED=${3:-$RANDOM} \
          node --test --test-force-exit __test__/fuzz-arguments.test.mjs ;;
  *) echo "usage: scripts/fuzz.sh sql|diff|node [amount] [seed]" >&2; exit 2 ;;
esac
