#!/usr/bin/env bash
# SIGINT/SIGTERM to `siploc run`: the running worker and its SUT are stopped (no siploc-sut
# left behind, nothing of it left in /dev/shm), results.json lists the scenarios finished
# before the signal, and the exit status says interrupted (130 / 143). Once one worker at
# a time (-j1), once with two workers hanging side by side while others finished (-j2).
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
# Workers are forks of siploc: they carry its command line, --out DIR and the scenarios.
no_worker() { ! pgrep -f -- "--out $1 [/]" >/dev/null; }

# interrupt SIG STATUS: run, wait until the third scenario's SUT hangs, send SIG.
interrupt() {
  local sig=$1 want=$2 out=$E2E_TMP/$1 pid st i
  "$SIPLOC" run -q -j1 --sut "$E2E_TMP/adapters/test-hang.so" --timeout 120 --out "$out" \
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

# -j2: a-hang and d-hang2 hang in two workers at once; b and c finished between them, out
# of order with the hung a. The signal must stop both workers and both SUTs, and keep b
# and c, in the run's order.
mkdir -p "$E2E_TMP/par"
sed 's/id = "hang"/id = "hang-a"/' "$E2E_TMP/scn/c-hang.lua" >"$E2E_TMP/par/a-hang.lua"
cp "$E2E_TMP/scn/a-first.lua" "$E2E_TMP/par/b-first.lua"
cp "$E2E_TMP/scn/b-second.lua" "$E2E_TMP/par/c-second.lua"
sed 's/id = "hang"/id = "hang-d"/' "$E2E_TMP/scn/c-hang.lua" >"$E2E_TMP/par/d-hang.lua"
interrupt_parallel() {
  local sig=$1 want=$2 out=$E2E_TMP/par-$1 pid st i
  "$SIPLOC" run -q -j2 --sut "$E2E_TMP/adapters/test-hang.so" --timeout 120 --out "$out" \
    "$E2E_TMP/par" >"$out.stdout" 2>"$out.stderr" &
  pid=$!
  for i in $(seq 1 600); do
    grep -qs 'hanging in request' "$out/work/hang-a/sut.stderr" &&
      grep -qs 'hanging in request' "$out/work/hang-d/sut.stderr" && break
    sleep 0.1
  done
  check "-j2 $sig: both hanging SUTs are up" \
    test "$(pgrep -fc "$E2E_TMP/adapters/test-hang.so")" -ge 2
  kill "-$sig" "$pid"
  wait "$pid"
  st=$?
  if [ "$st" -eq "$want" ]; then ok "-j2 $sig: exit status $st"; else bad "-j2 $sig: exit status $st, wanted $want"; fi
  check "-j2 $sig: no siploc-sut of this run left" no_runner
  check "-j2 $sig: results.json keeps the two finished, in the run's order" \
    jq -e '[.scenarios[].id] == ["fo-503-next-srv-target", "second"]' "$out/results.json"
  check "-j2 $sig: both passed" jq -e '[.scenarios[].verdict] | all(. == "pass")' "$out/results.json"
  local w spid
  for w in hang-a hang-d; do
    spid=$(grep -o 'faketime_siploctest_[0-9]*' "$out/work/$w/sut.stderr" | head -1)
    spid=${spid##*_}
    check "-j2 $sig: nothing of $w's killed SUT ($spid) left in /dev/shm" \
      sh -c "[ -n '$spid' ] && ! ls /dev/shm | grep -qE 'faketime_.*_$spid\$'"
  done
  check "-j2 $sig: no worker of this run left" no_worker "$out"
}
interrupt_parallel INT 130
interrupt_parallel TERM 143

finish
