#!/usr/bin/env bash
# The rate of the fake clock must not change verdicts: the timer-B scenario (whose
# expect_gap checks the failover comes 64*T1 after the first INVITE) gives the same
# scenario and check verdicts at --rate 1, 10 and 100, and each result records the clock
# (rate, handshake round trip). Rate 1 takes ~35 s of wall time, so it runs once per CI:
# not under ASan (BUILD=build-asan), where only 10 and 100 run. SIPLOC_RATES overrides.
set -u
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
S=scenarios/rfc3263/4.3-failure/fo-timeout-timer-b.lua
if [ -n "${SIPLOC_RATES:-}" ]; then RATES=$SIPLOC_RATES
elif [ "$(basename "$BUILD")" = build-asan ]; then RATES="10 100"; echo "  (rate 1 skipped under ASan)"
else RATES="1 10 100"; fi

# The rates run side by side: each worker has its own namespace and clock file.
pids=()
for r in $RATES; do
  "$SIPLOC" run -q --rate "$r" --timeout 120 --out "$E2E_TMP/r$r" "$S" \
    >"$E2E_TMP/r$r.out" 2>&1 &
  pids+=($!)
done
i=0
for r in $RATES; do
  wait "${pids[$i]}"
  st=$?
  i=$((i + 1))
  R=$E2E_TMP/r$r/results.json
  if [ "$st" -eq 0 ]; then ok "rate $r: exit 0"; else bad "rate $r: exit $st"; sed 's/^/       | /' "$E2E_TMP/r$r.out" | tail -5; fi
  check "rate $r: clock.rate recorded" jq -e --argjson r "$r" '.scenarios[0].clock.rate == $r' "$R"
  check "rate $r: handshake round trip recorded" jq -e '.scenarios[0].clock.rtt_us > 0' "$R"
  check "rate $r: expect_gap ran" jq -e '[.scenarios[0].checks[] | select(.check == "expect_gap")] | length == 1' "$R"
  jq -c '[.scenarios[0].verdict, [.scenarios[0].checks[] | [.check, .verdict]]]' "$R" \
    >"$E2E_TMP/v$r" 2>/dev/null
  echo "       rate $r: $(jq -r '.scenarios[0].checks[] | select(.check == "expect_gap") | .detail' "$R" 2>/dev/null)"
done
first=${RATES%% *}
check "rate $first: the scenario passed" jq -e '.[0] == "pass"' "$E2E_TMP/v$first"
for r in $RATES; do
  [ "$r" = "$first" ] && continue
  check "rate $r gives the verdicts of rate $first" cmp -s "$E2E_TMP/v$first" "$E2E_TMP/v$r"
done

# expect_gap can fail: the same run with windows that exclude 64*T1 fails both checks and
# shows the measured gap; a malformed expect_gap is an error naming file and line.
mkdir -p "$E2E_TMP/win"
sed 's/min = timer_b(), max = timer_b()/min = timer_b() + 8/' "$S" >"$E2E_TMP/win/late.lua"
sed -e 's/min = timer_b(), max = timer_b()/min = 0, max = timer_b() \/ 2/' \
    -e 's/id = "fo-timeout-timer-b"/id = "early"/' "$S" >"$E2E_TMP/win/early.lua"
"$SIPLOC" run -q --out "$E2E_TMP/w" "$E2E_TMP/win" >/dev/null 2>&1
R=$E2E_TMP/w/results.json
check "a window starting 8 s after timer B fails" jq -e '[.scenarios[] | select(.id == "fo-timeout-timer-b") | .checks[] | select(.check == "expect_gap") | .verdict] == ["fail"]' "$R"
check "a window ending at timer B / 2 fails" jq -e '[.scenarios[] | select(.id == "early") | .checks[] | select(.check == "expect_gap") | .verdict] == ["fail"]' "$R"
check "the failing detail shows the measured gap" jq -e '[.scenarios[].checks[] | select(.check == "expect_gap") | .detail | test("measured 3[0-9][.][0-9]+ s of SUT time")] | all' "$R"
cat >"$E2E_TMP/bad-gap.lua" <<'LUA'
scenario { id = "bad-gap", covers = { "FO-TIMEOUT" }, summary = "x" }
expect_gap{ from = { method = "INVITE" }, to = { method = "INVITE", nth = 2 } }
LUA
"$SIPLOC" run -q --out "$E2E_TMP/b" "$E2E_TMP/bad-gap.lua" >/dev/null 2>&1
check "expect_gap without min is an error naming file:line" \
  jq -e '.scenarios[0].verdict == "error" and (.scenarios[0].reason | test("bad-gap.lua:2: expect_gap: needs min"))' "$E2E_TMP/b/results.json"

finish
