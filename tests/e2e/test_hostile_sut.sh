#!/usr/bin/env bash
# Hostile SUTs (sut_adapters/test/flood.c): garbage datagrams, 64 kB datagrams, a flood of
# SIP requests or DNS queries, hundreds of TCP connections never closed, an endless TCP
# header. Each scenario ends as `fail` (what the SUT sent is not SIP) or `error` (a guard
# stopped it: the flood cap of the event log, the peer's connection cap, the worker's
# memory cap), within the watchdog, with its pcap and log; the worker's memory stays
# bounded; a good scenario of the same run still passes.
set -u
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
AD=$BUILD/adapters/test-flood.so
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT

# scn NAME ATTACK EXTRA_PEER: a scenario whose one request makes the adapter attack.
scn() {
  cat >"$E2E_TMP/$1.lua" <<LUA
scenario { id = "$1", covers = { "FO-503" }, needs = { "udp" },
           summary = "a hostile SUT: $2" }
peer("127.0.0.2:5060/udp", reply(200))
$3
local r = send{ method = "OPTIONS", uri = "sip:misbehave@127.0.0.2;attack=$2" }
expect_status(r, 200)
LUA
}
good=scenarios/rfc3263/4.3-failure/fo-503-next-srv-target.lua

# name | attack | extra peer line | extra run flags | verdict | failed check or reason regexp
while IFS='|' read -r name attack extra flags verdict what; do
  scn "$name" "$attack" "$extra"
  mkdir -p "$E2E_TMP/in-$name"
  cp "$E2E_TMP/$name.lua" "$E2E_TMP/in-$name/"
  # The memory cap sits below what any worker needs (so load cannot make the flood too
  # slow to reach it): it runs alone.
  [ "$name" = memcap ] || cp "$good" "$E2E_TMP/in-$name/"
  # Datagrams a loaded machine drops never become events: the DNS flood is judged
  # against a cap it passes whatever the load.
  [ "$name" = dnsflood ] && sed -i 's/summary = /limits = { events = 2000 }, summary = /' \
    "$E2E_TMP/in-$name/$name.lua"
  # The same for the SIP flood: under ASan the worker drains its socket slowly enough that
  # the kernel drops most of 100 000 datagrams (seen: fewer than 20 000 became events).
  [ "$name" = sipflood ] && sed -i 's/summary = /limits = { events = 5000 }, summary = /' \
    "$E2E_TMP/in-$name/$name.lua"
  OUT=$E2E_TMP/o-$name
  t0=$(date +%s)
  # shellcheck disable=SC2086
  expect_exit 1 "$name: the run ends, exit 1" timeout 120 "$SIPLOC" run -q --sut "$AD" \
    --out "$OUT" $flags "$E2E_TMP/in-$name"
  R=$OUT/results.json
  check "$name: within the watchdog (took $(( $(date +%s) - t0 )) s)" \
    test $(( $(date +%s) - t0 )) -lt 60
  check "$name: verdict $verdict" \
    jq -e --arg id "$name" --arg v "$verdict" '.scenarios[] | select(.id == $id) | .verdict == $v' "$R"
  if [ "$verdict" = fail ]; then
    check "$name: failed check /$what/" jq -e --arg id "$name" --arg re "$what" \
      '[.scenarios[] | select(.id == $id) | .checks[] | select(.verdict == "fail") | .check]
       | any(test($re))' "$R"
  else
    check "$name: reason /$what/" jq -e --arg id "$name" --arg re "$what" \
      '.scenarios[] | select(.id == $id) | .reason | test($re)' "$R"
  fi
  [ "$name" = memcap ] || check "$name: the good scenario of the same run passed" \
    jq -e '[.scenarios[] | select(.id == "fo-503-next-srv-target") | .verdict] == ["pass"]' "$R"
  check "$name: pcap kept and readable by tshark" tshark -r "$OUT/pcap/$name.pcap" -c 1
  check "$name: log kept" test -s "$OUT/log/$name.log"
  check "$name: worker stayed under 1 GiB resident" jq -e --arg id "$name" \
    '.scenarios[] | select(.id == $id) | .worker_max_rss_kb < 1048576' "$R"
done <<'CASES'
garbage|garbage;n=3000|||fail|well-formed SIP
tcpstream|tcpstream;n=300|peer("127.0.0.2:5060/tcp", reply(200))||fail|well-formed SIP
bigdgram|bigdgram;n=1300|||fail|well-formed SIP
sipflood|sipflood;n=100000||--timeout 50|error|sipflood.lua:5: flood: more than 5000 events
dnsflood|dnsflood;n=100000||--timeout 50|error|flood: more than 2000 events
conns|conns;n=300|peer("127.0.0.2:5060/tcp", reply(200))||error|127.0.0.2:5060/tcp: the SUT holds more than 256 TCP connections
memcap|sipflood;n=9000||--max-worker-mb 12|error|worker memory cap: [0-9]+ MiB resident, over --max-worker-mb 12
CASES

# The capture's byte budget: 1300 datagrams of 64 kB are past 64 MiB, so the last ones
# keep their headers only, and the log says so; tshark still reads every frame.
R=$E2E_TMP/o-bigdgram/results.json
check "bigdgram: the capture budget is noted" jq -e \
  '[.scenarios[] | select(.id == "bigdgram") | .events[] | .text // "" | test("capture: past 64 MiB of frames")] | any' "$R"
P=$E2E_TMP/o-bigdgram/pcap/bigdgram.pcap
check "bigdgram: the pcap is under 80 MB" test "$(stat -c %s "$P")" -lt 80000000
check "bigdgram: cut frames are in the pcap (caplen < len)" \
  test "$(tshark -r "$P" -Y 'frame.cap_len < frame.len' 2>/dev/null | wc -l)" -gt 0

# A flood stopped by the cap still has its packets matched to frames (in linear time);
# what the kernel could not capture is said, never silently missing.
R=$E2E_TMP/o-sipflood/results.json
framed=$(jq '[.scenarios[] | select(.id == "sipflood") | .events[] | select(.kind == "sip-rx") | select(.frames | length > 0)] | length' "$R")
unframed=$(jq '[.scenarios[] | select(.id == "sipflood") | .events[] | select(.kind == "sip-rx") | select(.frames | length == 0)] | length' "$R")
check "sipflood: requests have their frame ($framed with, $unframed without)" test "$framed" -gt 0
if [ "$unframed" -gt 0 ]; then
  check "sipflood: the frames the kernel dropped are noted" jq -e \
    '[.scenarios[] | select(.id == "sipflood") | .events[] | .text // "" | test("capture: the kernel dropped [0-9]+ frames")] | any' "$R"
fi

# limits{} in scenario{}: a bad value is named with file and line.
cat >"$E2E_TMP/badlimit.lua" <<'LUA'
scenario { id = "badlimit", covers = { "FO-503" }, summary = "x",
           limits = { events = 5 } }
LUA
expect_exit 2 "limits.events out of range is refused" "$SIPLOC" run --out "$E2E_TMP/ob" "$E2E_TMP/badlimit.lua"
check "the message names the file, line and the range" \
  grep -qE 'badlimit.lua:[12]: scenario\{\}: limits.events must be an integer from 100' "$E2E_TMP/last.err"
sed -i 's/events = 5/event = 500/' "$E2E_TMP/badlimit.lua"
expect_exit 2 "an unknown limits key is refused" "$SIPLOC" run --out "$E2E_TMP/ob" "$E2E_TMP/badlimit.lua"
check "the message names the unknown key" grep -qE 'limits: unknown key' "$E2E_TMP/last.err"

# limits{} moves the cap both ways: lowered, a small flood is stopped at it; raised, the
# flood gets through and is judged (every request carries a
# Request-URI the SUT was never given: TXN-URI fails).
scn lowered "sipflood;n=3000" ""
sed -i 's/summary = /limits = { events = 1000 }, summary = /' "$E2E_TMP/lowered.lua"
"$SIPLOC" run -q --sut "$AD" --out "$E2E_TMP/o-lowered" "$E2E_TMP/lowered.lua" >/dev/null 2>&1
check "limits = { events = 1000 } stops a smaller flood at 1000" \
  jq -e '.scenarios[0].verdict == "error" and (.scenarios[0].reason | test("more than 1000 events"))' \
  "$E2E_TMP/o-lowered/results.json"
scn raised "sipflood;n=12000" ""
sed -i 's/summary = /limits = { events = 1000000 }, summary = /' "$E2E_TMP/raised.lua"
"$SIPLOC" run -q --sut "$AD" --out "$E2E_TMP/o-raised" "$E2E_TMP/raised.lua" >/dev/null 2>&1
check "limits = { events = 1000000 }: the flood is judged (fail on TXN-URI, not error)" \
  jq -e '.scenarios[0].verdict == "fail" and ([.scenarios[0].checks[] | select(.verdict == "fail") | .requirements[]] | index("TXN-URI"))' \
  "$E2E_TMP/o-raised/results.json"

finish
