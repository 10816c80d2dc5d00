#!/usr/bin/env bash
# Runs every end-to-end test script (tests/e2e/test_*.sh) against the build in $BUILD.
set -u
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
pass=0 fail=0
for t in tests/e2e/test_*.sh; do
  echo "== $t"
  s=$SECONDS
  if bash "$t"; then pass=$((pass + 1)); else echo "FAILED: $t" >&2; fail=$((fail + 1)); fi
  # (what each suite costs, for the CI budget in docs/ci.md; never judged)
  echo "   $t: $((SECONDS - s)) s"
done
echo "e2e suites: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
