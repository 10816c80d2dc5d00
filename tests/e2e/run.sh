#!/usr/bin/env bash
# Runs every end-to-end test script (tests/e2e/test_*.sh) against the build in $BUILD.
set -u
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
pass=0 fail=0
for t in tests/e2e/test_*.sh; do
  echo "== $t"
  if bash "$t"; then pass=$((pass + 1)); else echo "FAILED: $t" >&2; fail=$((fail + 1)); fi
done
echo "e2e suites: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
