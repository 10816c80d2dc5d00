#!/usr/bin/env bash
# A misbehaving SUT (crash, abort, early exit, garbage on the control channel, hang, a
# transaction held open) ends its scenario as `error` with the reason and the SUT's
# stderr tail, keeps its pcap and log, and the run goes on; adapters that cannot be
# loaded are a setup error (exit 2); a missing capability makes a scenario not-run.
# The test adapters (sut_adapters/test/) forward to ref and misbehave only for
# sip:misbehave@..., so the good scenario of the same run must still pass.
set -u
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
AD=$BUILD/adapters
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
SC=scenarios/rfc3263/4.3-failure

mkdir -p "$E2E_TMP/scn"
cp "$SC/fo-503-next-srv-target.lua" "$E2E_TMP/scn/a-good.lua"
cat >"$E2E_TMP/scn/b-misbehave.lua" <<'LUA'
scenario { id = "misbehave", covers = { "FO-503" }, needs = { "udp" },
           summary = "asks the test adapter to misbehave" }
zone [[
$ORIGIN example.test.
$TTL 300
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
]]
peer("127.0.0.2:5060/udp", reply(200))
local r = send{ method = "INVITE", uri = "sip:misbehave@example.test" }
expect_status(r, 200)
LUA

# shm_gone OUT: nothing of the misbehaving runner (pid in its stderr) is left in /dev/shm:
# the file the test adapter left there, libfaketime's faketime_shm_<pid> and its semaphore.
shm_gone() {
  local pid
  pid=$(grep -o 'faketime_siploctest_[0-9]*' "$1/work/misbehave/sut.stderr" | head -1)
  pid=${pid##*_}
  [ -n "$pid" ] && ! ls /dev/shm/ | grep -qE "faketime_.*_$pid\$"
}

# name, extra flags, regex the reason must match, text from the SUT's stderr
while IFS='|' read -r name flags why tail; do
  OUT=$E2E_TMP/$name
  # shellcheck disable=SC2086
  expect_exit 1 "$name: run goes on, exit 1" "$SIPLOC" run -q --sut "$AD/test-$name.so" \
    --out "$OUT" $flags "$E2E_TMP/scn"
  R=$OUT/results.json
  check "$name: the good scenario passed" \
    jq -e '[.scenarios[] | select(.id == "fo-503-next-srv-target") | .verdict] == ["pass"]' "$R"
  check "$name: misbehave is an error" \
    jq -e '[.scenarios[] | select(.id == "misbehave") | .verdict] == ["error"]' "$R"
  check "$name: reason matches /$why/" \
    jq -e --arg re "$why" '.scenarios[] | select(.id == "misbehave") | .reason | test($re)' "$R"
  check "$name: reason carries the SUT's stderr tail ($tail)" \
    jq -e --arg t "$tail" '.scenarios[] | select(.id == "misbehave") | .reason | contains($t)' "$R"
  check "$name: pcap of the errored scenario kept" test -s "$OUT/pcap/misbehave.pcap"
  check "$name: log of the errored scenario kept" test -s "$OUT/log/misbehave.log"
  check "$name: the SUT's /dev/shm/faketime_* file removed" shm_gone "$OUT"
done <<'CASES'
crash||killed by signal 11|about to die of SIGSEGV
abort||killed by signal 6|aborting
exit||exited with status 3|leaving early
garbage||garbage on the control channel \(unknown message\): '\?\? this is not the protocol'|left /dev/shm
hang|--timeout 3|misbehave.lua:10: watchdog: INVITE sip:misbehave@example.test not finished|hanging in request
hang|--max-sut-time 20|misbehave.lua:10: SUT time cap: INVITE sip:misbehave@example.test still open after 20 s|hanging in request
CASES

# --- a SUT that exits in open(): the scenario errors, the next one still passes
sed 's/id = "misbehave"/id = "misbehave-at-open"/' "$E2E_TMP/scn/b-misbehave.lua" >"$E2E_TMP/scn/c-open.lua"
OUT=$E2E_TMP/exit-open
expect_exit 1 "exit in open: run goes on, exit 1" "$SIPLOC" run -q --sut "$AD/test-exit.so" --out "$OUT" "$E2E_TMP/scn"
R=$OUT/results.json
check "exit in open: the good scenario passed" \
  jq -e '[.scenarios[] | select(.id == "fo-503-next-srv-target") | .verdict] == ["pass"]' "$R"
check "exit in open: error naming the exit and the stderr tail" \
  jq -e '.scenarios[] | select(.id == "misbehave-at-open") | .verdict == "error" and (.reason | test("exited with status 4.*leaving in open"))' "$R"
check "exit in open: its SUT time counts from the world's start, not from 1970" \
  jq -e '.scenarios[] | select(.id == "misbehave-at-open") | .sut_time_s < 100000' "$R"
rm "$E2E_TMP/scn/c-open.lua"

# --- adapters that cannot be loaded: exit 2 before anything runs, path and cause named
printf 'this is not an ELF file\n' >"$E2E_TMP/not-an-adapter.so"
while IFS='|' read -r path cause; do
  expect_exit 2 "unloadable adapter $path" "$SIPLOC" run --sut "$path" --out "$E2E_TMP/x" "$E2E_TMP/scn"
  check "message names $path" grep -qF "$path" "$E2E_TMP/last.err"
  check "message says: $cause" grep -qE "$cause" "$E2E_TMP/last.err"
  check "nothing ran for $path" test ! -e "$E2E_TMP/x/results.json"
done <<CASES
$AD/test-wrong-abi.so|ABI version 99, this runner speaks 1
$AD/test-no-symbol.so|does not export sut_adapter_v1
$E2E_TMP/not-an-adapter.so|cannot load adapter.*(invalid ELF header|file too short)
CASES

# --- a SUT lacking a capability: scenarios that need it are not-run, with the reason
OUT=$E2E_TMP/nocaps
"$SIPLOC" run -q --sut "$AD/test-nocaps.so" --out "$OUT" "$SC" >/dev/null 2>&1
R=$OUT/results.json
check "nocaps: timer-B scenario not-run" \
  jq -e '[.scenarios[] | select(.id == "fo-timeout-timer-b") | .verdict] == ["not-run"]' "$R"
check "nocaps: the reason names the missing capability" \
  jq -e '.scenarios[] | select(.id == "fo-timeout-timer-b") | .reason | test("lacks: timers")' "$R"
check "nocaps: scenarios that do not need it pass" \
  jq -e '[.scenarios[] | select(.id == "fo-503-next-srv-target") | .verdict] == ["pass"]' "$R"

finish
