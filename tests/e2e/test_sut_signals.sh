#!/usr/bin/env bash
# SIGINT/SIGTERM to `siploc run`: the running worker and its SUT are stopped (no siploc-sut
# left behind, nothing of it left in /dev/shm), results.json lists the scenarios finished
# before the signal, and the exit status says interrupted (130 / 143).
set -u
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
SC=scenarios/rfc3263/4.3-failure

# The adapters through a private path, so pgrep -f finds only this test's runners.
mkdir -p "$E2E_TMP/adapters" "$E2E_TMP/scn"
ln -s "$(realpath "$BUILD/adapters/ref.so")" "$E2E_TMP/adapters/ref.so"
ln -s "$(realpath "$BUILD/adapters/test-hang.so")" "$E2E_TMP/adapters/test-hang.so"
cp "$SC/fo-503-next-srv-target.lua" "$E2E_TMP/scn/a-first.lua"
# (no timing checks in these two: the verdicts must not depend on the machine's load)
sed 's/id = "fo-503-next-srv-target"/id = "second"/' "$SC/fo-503-next-srv-target.lua" \
  >"$E2E_TMP/scn/b-second.lua"
cat >"$E2E_TMP/scn/c-hang.lua" <<'LUA'
scenario { id = "hang", covers = { "FO-503" }, needs = { "udp" }, summary = "hangs the SUT" }
zone [[
$ORIGIN example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
]]
peer("127.0.0.2:5060/udp", reply(200))
expect_status(send{ method = "INVITE", uri = "sip:misbehave@example.test" }, 200)
LUA
cp "$SC/fo-503-next-srv-target.lua" "$E2E_TMP/scn/d-never.lua"
sed -i 's/id = "fo-503-next-srv-target"/id = "never-run"/' "$E2E_TMP/scn/d-never.lua"

no_runner() { ! pgrep -f "$E2E_TMP/adapters/test-hang.so" >/dev/null; }

# interrupt SIG STATUS: run, wait until the third scenario's SUT hangs, send SIG.
interrupt() {
  local sig=$1 want=$2 out=$E2E_TMP/$1 pid st i
  "$SIPLOC" run -q --sut "$E2E_TMP/adapters/test-hang.so" --timeout 120 --out "$out" \
    "$E2E_TMP/scn" >"$out.stdout" 2>"$out.stderr" &
  pid=$!
  # Polls for the hang (not a timing assertion: the bound only stops a broken test).
  for i in $(seq 1 600); do
    grep -qs 'hanging in request' "$out/work/hang/sut.stderr" && break
    sleep 0.1
  done
  check "$sig: the third scenario's SUT is hanging" grep -qs 'hanging in request' "$out/work/hang/sut.stderr"
  check "$sig: its siploc-sut is running" pgrep -f "$E2E_TMP/adapters/test-hang.so"
  kill "-$sig" "$pid"
  wait "$pid"
  st=$?
  if [ "$st" -eq "$want" ]; then ok "$sig: exit status $st"; else bad "$sig: exit status $st, wanted $want"; fi
  check "$sig: the message says interrupted" grep -q 'interrupted' "$out.stderr"
  check "$sig: no siploc-sut of this run left" no_runner
  check "$sig: results.json lists exactly the two finished scenarios" \
    jq -e '[.scenarios[].id] == ["fo-503-next-srv-target", "second"]' "$out/results.json"
  check "$sig: both passed" jq -e '[.scenarios[].verdict] | all(. == "pass")' "$out/results.json"
  check "$sig: their pcaps are there" test -s "$out/pcap/second.pcap"
  local spid
  spid=$(grep -o 'faketime_siploctest_[0-9]*' "$out/work/hang/sut.stderr" | head -1)
  spid=${spid##*_}
  check "$sig: nothing of the killed SUT ($spid) left in /dev/shm" \
    sh -c "[ -n '$spid' ] && ! ls /dev/shm | grep -qE 'faketime_.*_$spid\$'"
}
interrupt INT 130
interrupt TERM 143

finish
