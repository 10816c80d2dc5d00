# Shared helpers for the e2e scripts: assertions that name what failed, and a counter.
E2E_PASS=0
E2E_FAIL=0
ok()   { E2E_PASS=$((E2E_PASS + 1)); echo "  ok   $*"; }
bad()  { E2E_FAIL=$((E2E_FAIL + 1)); echo "  FAIL $*"; }
# check "description" command...: passes when the command succeeds.
check() { local d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else bad "$d"; fi; }
# expect_exit N "description" command...
expect_exit() {
  local want=$1 d=$2; shift 2
  "$@" >"$E2E_TMP/last.out" 2>"$E2E_TMP/last.err"; local got=$?
  if [ "$got" -eq "$want" ]; then ok "$d (exit $got)"; else
    bad "$d: exit $got, wanted $want"; sed 's/^/       | /' "$E2E_TMP/last.err" | tail -5; fi
}
finish() {
  echo "$(basename "$0" .sh): $E2E_PASS passed, $E2E_FAIL failed"
  [ "$E2E_FAIL" -eq 0 ]
}
