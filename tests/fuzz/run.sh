#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each on its seed corpus (a scratch copy, so the
# checked-in corpus only grows by hand). Fails on the first crash, leak or UB report.
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build-fuzz} SECONDS_EACH=${2:-30}
pass=0 fail=0
# Known leaks inside libraries we call (each one explained in the file).
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
for bin in "$BUILD"/fuzz/fuzz_*; do
  t=$(basename "$bin"); t=${t#fuzz_}
  work=$(mktemp -d)
  cp -r "tests/fuzz/corpus/$t/." "$work/" 2>/dev/null
  # The real scenarios and the hostile ones seed the loader, without checked-in copies.
  [ "$t" = scenario ] && find scenarios tests/data/hostile -name '*.lua' -exec cp {} "$work/" \;
  echo "== fuzz $t for ${SECONDS_EACH}s"
  # A fixed seed keeps CI repeatable; FUZZ_SEED=0 lets libFuzzer pick one.
  if "$bin" -seed="${FUZZ_SEED:-1}" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$BUILD/fuzz/crash-$t-" "$work" >"$BUILD/fuzz/$t.log" 2>&1; then
    pass=$((pass + 1)); tail -1 "$BUILD/fuzz/$t.log"
  else
    fail=$((fail + 1)); echo "FAILED: $t"; tail -40 "$BUILD/fuzz/$t.log"
  fi
  rm -rf "$work"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
