#!/usr/bin/env bash
# Parallel, sharded and repeated runs: -j N gives the reports of -j 1 (same order, verdicts,
# checks, seeds, packets); N workers really run at once and an exclusive scenario runs
# alone (seen from outside, by an exec SUT logging its start and end); a loaded machine
# lowers an exclusive scenario's rate and the result says so; the watchdog holds per
# worker; --repeat/--seed give each repetition its own seed and one seed replays it;
# --shard K/N splits the corpus so that siploc merge of the shards is the full run, and
# merge refuses overlapping or inconsistent inputs.
set -u
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
CPUS=$(nproc)

# --- the corpus at -j1 and at the default (the online CPUs), compared
expect_exit 0 "corpus at -j1 passes" "$SIPLOC" run -q -j1 --out "$E2E_TMP/j1"
expect_exit 0 "corpus at the default -j passes" "$SIPLOC" run --out "$E2E_TMP/jd"
cp "$E2E_TMP/last.out" "$E2E_TMP/jd.console"
check "default -j is the online CPUs ($CPUS)" jq -e --argjson n "$CPUS" '.timing.jobs == $n' "$E2E_TMP/jd/results.json"
# What must not depend on -j: order, verdicts, seeds, each check with its requirements and
# verdict, the requirement matrix, and per scenario what was exchanged: the events and the
# log's DNS and SIP lines, without times, ports and frame numbers, as sets (two events of
# one instant may be logged in either order, and how many times a 2xx or an ACK is
# retransmitted at T1 = 5 ms of wall time depends on the machine, in any two runs).
scen() { jq -r '.scenarios[] | [.id, .file, .verdict, .seed, ([.checks[] | .check + "=" + .verdict] | join(","))] | @tsv' "$1/results.json"; }
# (verdicts only: which scenarios an invariant speaks for depends on what it saw happen,
# a retransmission or not, which timing decides in any two runs)
reqs() { jq -r '.requirements | to_entries[] | [.key, .value.verdict] | @tsv' "$1/results.json"; }
# (a retransmission that arrives after the peer is gone is a stray of a branch a peer
# did receive: how many retransmissions a run makes is the machine's timing, as above)
evs() { jq -r '.scenarios[] | .id as $id | [.events[] | select(.kind == "sip-rx") | .branch] as $rx | .events[] | select(.kind != "note") | select(.kind != "stray" or (.branch as $b | any($rx[]; . == $b) | not)) | [$id, .kind, .qtype, .qname, .method, .status, .uri, .outcome, .branch, .call_id, (.frames | length)] | @tsv' "$1/results.json" | sort -u; }
# every scenario's pcap, and that tshark reads it as what the events say it holds
pkts() { for f in "$1"/pcap/*.pcap; do echo "$(basename "$f") $(capinfos -c -M "$f" 2>/dev/null | awk '/Number of packets/ { print ($NF > 0) }')"; done; }
# the same for the log's lines: strays of a branch some sip-rx line has
drop_late() { awk '{ l[NR] = $0; if ($1 == "sip-rx" && match($0, /branch=[^ ]+/)) rx[substr($0, RSTART, RLENGTH)] = 1 }
  END { for (i = 1; i <= NR; i++) { s = l[i]; if (s ~ /^stray/ && match(s, /branch=[^ ]+/) && (substr(s, RSTART, RLENGTH) in rx)) continue; print s } }'; }
logs() { for f in "$1"/log/*.log; do grep -v ' note ' "$f" | tail -n +2 | sed -E 's/^ *[0-9]+ +[-0-9.]+ //; s/#[0-9]+(,#[0-9]+)? //; s/event [0-9]+/event N/g; s/:[0-9]+([ /]|$)/\1/g' | drop_late | sed "s|^|$(basename "$f") |"; done | sort -u; }
# junit.xml: each testcase and whether it failed or errored (check details carry
# measured SUT times, which vary from run to run at any -j).
junit() { grep -oE '<testcase [^>]*name="[^"]*"|<(failure|error|skipped) message="[^:"]*' "$1/junit.xml"; }
same() { # description command
  local d=$1; shift
  "$@" "$E2E_TMP/j1" >"$E2E_TMP/a" 2>&1; "$@" "$E2E_TMP/jd" >"$E2E_TMP/b" 2>&1
  if [ -s "$E2E_TMP/a" ] && cmp -s "$E2E_TMP/a" "$E2E_TMP/b"; then ok "-j1 = -j$CPUS: $d"; else
    bad "-j1 and -j$CPUS differ: $d"; diff "$E2E_TMP/a" "$E2E_TMP/b" | head -5 | sed 's/^/       | /'; fi
}
same "scenario order, verdicts, seeds, checks (an invariant's requirements are what it saw)" scen
same "requirement matrix" reqs
same "events of every scenario" evs
same "a non-empty pcap per scenario" pkts
same "DNS and SIP lines of every log" logs
same "junit.xml testcases and their outcomes" junit
N=$(jq '.scenarios | length' "$E2E_TMP/jd/results.json")
check "console: one [n/N] line per scenario, n = 1..$N in turn" sh -c \
  "grep -oE '^\[[0-9]+/$N\]' '$E2E_TMP/jd.console' | tr -d '[]' | cut -d/ -f1 | paste -sd' ' | grep -qx '$(seq -s' ' 1 "$N")'"
check "console: total SUT time, wall time and compression" \
  grep -qE '^time: SUT [0-9.]+ s in [0-9.]+ s of wall time, compression [0-9.]+x' "$E2E_TMP/jd.console"
check "results.json: timing with sut_s, wall_s, compression = sut_s / wall_s" jq -e \
  '.timing | .sut_s > 0 and .wall_s > 0 and ((.compression - .sut_s / .wall_s) | fabs) < 0.01' "$E2E_TMP/jd/results.json"
check "timing.sut_s is the scenarios' SUT time summed" jq -e \
  '(.timing.sut_s - ([.scenarios[].sut_time_s] | add)) | fabs < 0.01' "$E2E_TMP/jd/results.json"
check "the weights scenario ran alone, and says why" jq -e \
  '.scenarios[] | select(.id == "srv-weights-distribution") | .schedule | .exclusive and .alone and .why == "uses expect_weights"' "$E2E_TMP/jd/results.json"
check "console says it ran alone" grep -q 'srv-weights-distribution .*ran alone: uses expect_weights' "$E2E_TMP/jd.console"
check "report.html shows the run's timing" grep -q 'SUT time <b>' "$E2E_TMP/jd/report.html"

echo "  ($SECONDS s)"
# --- really in parallel: an exec SUT that logs when each request starts and ends
mkdir -p "$E2E_TMP/slow"
for i in 1 2 3 4; do
  cat >"$E2E_TMP/slow/slow-$i.lua" <<LUA
scenario { id = "slow-$i", covers = { "FO-503" }, summary = "one slow request", t1 = 0.05 }
expect_status(send{ method = "OPTIONS", uri = "sip:s$i@example.test" }, "success")
LUA
done
cat >"$E2E_TMP/slow/slow-x.lua" <<'LUA'
scenario { id = "slow-x", covers = { "FO-503" }, exclusive = true, t1 = 0.05,
           summary = "one slow request that must run alone" }
expect_status(send{ method = "OPTIONS", uri = "sip:sx@example.test" }, "success")
LUA
LOG=$E2E_TMP/exec.log
# The command sleeps on the SUT's clock: 3 s at rate 10 is 0.3 s of wall time.
SLOW="exec:echo start {uri} >>$LOG; sleep 3; echo end {uri} >>$LOG; echo status 200"
# Most requests running at once, from the log.
most() { awk '$1 == "start" { n++; if (n > m) m = n } $1 == "end" { n-- } END { print m + 0 }' "$LOG"; }
# The exclusive request's end comes right after its start: nothing ran beside it.
alone() { grep -A1 '^start sip:sx@' "$LOG" | tail -1 | grep -q '^end sip:sx@'; }
: >"$LOG"
expect_exit 0 "-j2, five slow scenarios" "$SIPLOC" run -q -j2 --rate 10 --sut "$SLOW" --out "$E2E_TMP/s2" "$E2E_TMP/slow"
check "-j2: two requests ran at once (most at once: $(most))" test "$(most)" -eq 2
check "-j2: the exclusive one ran alone" alone
check "-j2: reports keep the run's order" jq -e '[.scenarios[].id] == ["slow-1", "slow-2", "slow-3", "slow-4", "slow-x"]' "$E2E_TMP/s2/results.json"
check "-j2: slow-x records why it ran alone" jq -e '.scenarios[4].schedule | .alone and .why == "declared"' "$E2E_TMP/s2/results.json"
check "-j2: the others carry no schedule" jq -e '[.scenarios[:4][] | has("schedule")] | all(. == false)' "$E2E_TMP/s2/results.json"
: >"$LOG"
expect_exit 0 "-j3" "$SIPLOC" run -q -j3 --rate 10 --sut "$SLOW" --out "$E2E_TMP/s3" "$E2E_TMP/slow"
check "-j3: three requests ran at once (most at once: $(most))" test "$(most)" -eq 3
check "-j3: the exclusive one ran alone" alone
: >"$LOG"
expect_exit 0 "-j1" "$SIPLOC" run -q -j1 --rate 10 --sut "$SLOW" --out "$E2E_TMP/s1" "$E2E_TMP/slow"
check "-j1: one at a time (most at once: $(most))" test "$(most)" -eq 1

echo "  ($SECONDS s)"
# --- a loaded machine: the exclusive scenario's rate goes down by load / CPUs
LOAD=$((4 * CPUS))
QUICK="exec:echo status 200"
SIPLOC_LOADAVG=$LOAD expect_exit 0 "load $LOAD on $CPUS CPUs, rate 4" \
  "$SIPLOC" run -j2 --rate 4 --sut "$QUICK" --out "$E2E_TMP/load" "$E2E_TMP/slow/slow-x.lua"
check "the schedule says the rate was lowered to 1" jq -e --argjson l "$LOAD" \
  '.scenarios[0].schedule | .lowered and .rate == 1 and .load == $l' "$E2E_TMP/load/results.json"
check "the SUT really ran at rate 1" jq -e '.scenarios[0].clock.rate == 1' "$E2E_TMP/load/results.json"
check "console says so" grep -q "rate lowered to 1: load $LOAD.0 on $CPUS CPUs" "$E2E_TMP/last.out"
check "report.html says so" grep -q "ran alone (declared) at rate 1 (load $LOAD.0 on $CPUS CPUs)" "$E2E_TMP/load/report.html"
SIPLOC_LOADAVG=$LOAD expect_exit 0 "--no-rate-adapt" \
  "$SIPLOC" run -q --no-rate-adapt --rate 4 --sut "$QUICK" --out "$E2E_TMP/noadapt" "$E2E_TMP/slow/slow-x.lua"
check "--no-rate-adapt keeps rate 4" jq -e '.scenarios[0] | (.schedule.lowered | not) and .clock.rate == 4' "$E2E_TMP/noadapt/results.json"
SIPLOC_LOADAVG=$LOAD expect_exit 0 "a timing-window scenario on the loaded machine" \
  "$SIPLOC" run -q --out "$E2E_TMP/gap" scenarios/rfc3263/4.3-failure/fo-timeout-timer-b.lua
check "it runs alone but keeps its rate (a lower rate cannot widen a window)" jq -e \
  '.scenarios[0] | .schedule.why == "uses expect_gap" and .schedule.alone and (.schedule.lowered | not) and .clock.rate == 100' "$E2E_TMP/gap/results.json"
SIPLOC_LOADAVG=$CPUS "$SIPLOC" run -q --rate 4 --sut "$QUICK" --out "$E2E_TMP/idle" "$E2E_TMP/slow/slow-x.lua" >/dev/null 2>&1
check "a machine loaded up to its CPUs keeps the rate" jq -e '.scenarios[0] | (.schedule.lowered | not) and .clock.rate == 4' "$E2E_TMP/idle/results.json"

echo "  ($SECONDS s)"
# --- the watchdog holds in each worker: two hanging SUTs side by side both time out
mkdir -p "$E2E_TMP/hang"
for x in a b; do
  cat >"$E2E_TMP/hang/hang-$x.lua" <<LUA
scenario { id = "hang-$x", covers = { "FO-503" }, summary = "hangs the SUT" }
zone [[
\$ORIGIN example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
]]
peer("127.0.0.2:5060/udp", reply(200))
expect_status(send{ method = "INVITE", uri = "sip:misbehave@example.test" }, 200)
LUA
done
# (through a private path, so pgrep sees only this test's runners)
# (test-hang loads ref.so from its own directory)
mkdir -p "$E2E_TMP/adapters"
ln -s "$(realpath "$BUILD/adapters/test-hang.so")" "$E2E_TMP/adapters/test-hang.so"
ln -s "$(realpath "$BUILD/adapters/ref.so")" "$E2E_TMP/adapters/ref.so"
expect_exit 1 "-j2 with two hanging SUTs and --timeout 2" \
  "$SIPLOC" run -q -j2 --timeout 2 --sut "$E2E_TMP/adapters/test-hang.so" --out "$E2E_TMP/hung" "$E2E_TMP/hang"
check "both ended by their own watchdog" jq -e \
  '[.scenarios[] | .verdict == "error" and (.reason | test("watchdog"))] == [true, true]' "$E2E_TMP/hung/results.json"
no_hang() { ! pgrep -f "$E2E_TMP/adapters/test-hang.so" >/dev/null; }
check "no siploc-sut of theirs left" no_hang

echo "  ($SECONDS s)"
# --- --repeat and --seed: own seeds per repetition, one seed replays a repetition
mkdir -p "$E2E_TMP/seed"
# Two equal weights and 12 requests: enough for the chi-square test, quick at rate 20
# (where neither a DNS nor a SIP retransmission comes early enough to shift a draw).
cat >"$E2E_TMP/seed/weighted.lua" <<'LUA'
scenario { id = "weighted", covers = { "SRV-WEIGHT" }, summary = "two equal weights, 12 requests" }
zone [[
$ORIGIN example.test.
_sip._udp  IN SRV 10 50 5060 sip1.example.test.
_sip._udp  IN SRV 10 50 5060 sip2.example.test.
sip1       IN A   127.0.0.2
sip2       IN A   127.0.0.3
]]
peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.3:5060/udp", reply(200))
for i = 1, 12 do send{ method = "OPTIONS", uri = "sip:pool@example.test" } end
expect_weights({ ["127.0.0.2:5060/udp"] = 1, ["127.0.0.3:5060/udp"] = 1 }, { method = "OPTIONS" })
LUA
cat >"$E2E_TMP/seed/shuffled.lua" <<'LUA'
scenario { id = "shuffled", covers = { "SRV-ALL-ADDRS" }, summary = "four A records, shuffled per answer" }
zone([[
$ORIGIN example.test.
_sip._udp  IN SRV 10 0 5060 pool.example.test.
pool 1     IN A   127.0.0.2
pool 1     IN A   127.0.0.3
pool 1     IN A   127.0.0.4
pool 1     IN A   127.0.0.5
]], { shuffle = true })
for i = 2, 5 do peer("127.0.0." .. i .. ":5060/udp", reply(200)) end
log("draw " .. math.random(1000000000))
for i = 1, 6 do -- the A records live 1 s: every request asks again
  expect_status(send{ method = "OPTIONS", uri = "sip:alice@example.test" }, 200)
  advance(2)
end
LUA
expect_exit 0 "--repeat 3 --seed 7" "$SIPLOC" run -q --rate 20 --repeat 3 --seed 7 --out "$E2E_TMP/rep" "$E2E_TMP/seed"
R=$E2E_TMP/rep/results.json
check "ids: each scenario, then #2 and #3" jq -e '[.scenarios[].id] == ["shuffled", "shuffled#2", "shuffled#3", "weighted", "weighted#2", "weighted#3"]' "$R"
check "the first repetition has the run's seed" jq -e '[.scenarios[] | select(.repeat == null) | .seed] == [7, 7]' "$R"
check "every repetition has its own seed" jq -e '[.scenarios[] | select(.scenario == "shuffled") | .seed] | unique | length == 2 and (index(7) | not)' "$R"
check "repetitions name their scenario and number" jq -e '[.scenarios[] | select(.repeat) | "\(.scenario)/\(.repeat)"] == ["shuffled/2", "shuffled/3", "weighted/2", "weighted/3"]' "$R"
check "the summary counts every run" jq -e '.summary.pass == 6 and .repeat == 3 and .seed == 7' "$R"
check "the matrix lists every repetition" jq -e '.requirements["SRV-WEIGHT"].scenarios | length == 3' "$R"
check "pcaps of repetitions exist" test -s "$E2E_TMP/rep/pcap/shuffled#2.pcap"
check "report.html links the repetition's pcap with an escaped #" grep -q 'href="pcap/shuffled%232.pcap"' "$E2E_TMP/rep/report.html"
check "report.html counts repetitions in the matrix" grep -q 'weighted</a> ×3' "$E2E_TMP/rep/report.html"
S2=$(jq '.scenarios[] | select(.id == "shuffled#2") | .seed' "$R")
expect_exit 0 "replay: --seed $S2" "$SIPLOC" run -q --rate 20 --seed "$S2" --out "$E2E_TMP/replay" "$E2E_TMP/seed"
answers() { tshark -r "$1" -Y 'dns.flags.response == 1 && dns.qry.type == 1' -T fields -e dns.a 2>/dev/null; }
# The destinations of the first attempt of each transaction, in order.
firsts() { jq -r --arg id "$2" '.scenarios[] | select(.id == $id) | [.events[] | select(.kind == "sip-rx" and .method == "OPTIONS")] | group_by(.call_id) | map(min_by(.i)) | sort_by(.i) | map(.to) | join(" ")' "$1"; }
draw() { grep -o 'draw [0-9]*' "$1"; }
same_draw() { local a b; a=$(draw "$1"); b=$(draw "$2"); [ -n "$a" ] && [ "$a" = "$b" ]; }
same_firsts() { local a b; a=$(firsts "$1" "$2"); b=$(firsts "$3" "$4"); [ -n "$a" ] && [ "$a" = "$b" ]; }
answers "$E2E_TMP/rep/pcap/shuffled.pcap" >"$E2E_TMP/a1"
answers "$E2E_TMP/rep/pcap/shuffled#2.pcap" >"$E2E_TMP/a2"
answers "$E2E_TMP/replay/pcap/shuffled.pcap" >"$E2E_TMP/ar"
check "replay: the same DNS answer orders ($(head -1 "$E2E_TMP/a2" | tr '\n' ' '))" sh -c "[ \$(wc -l <'$E2E_TMP/a2') -ge 6 ] && cmp -s '$E2E_TMP/a2' '$E2E_TMP/ar'"
check "another seed gave other orders" sh -c "! cmp -s '$E2E_TMP/a1' '$E2E_TMP/a2'"
check "replay: the same math.random draw" same_draw "$E2E_TMP/rep/log/shuffled#2.log" "$E2E_TMP/replay/log/shuffled.log"
check "replay: the same first choices of all 12 weighted requests" \
  same_firsts "$R" weighted#2 "$E2E_TMP/replay/results.json" weighted
check "another seed gave other first choices" sh -c \
  "[ \"\$(jq -r --arg id weighted '.scenarios[] | select(.id == \$id) | [.events[] | select(.kind == \"sip-rx\")] | map(.to) | join(\" \")' '$R')\" != \"\$(jq -r --arg id weighted '.scenarios[] | select(.id == \$id) | [.events[] | select(.kind == \"sip-rx\")] | map(.to) | join(\" \")' '$E2E_TMP/replay/results.json')\" ]"
expect_exit 2 "--repeat 0 is refused" "$SIPLOC" run --repeat 0 --out "$E2E_TMP/x" "$E2E_TMP/seed"
expect_exit 2 "-j 0 is refused" "$SIPLOC" run -j 0 --out "$E2E_TMP/x" "$E2E_TMP/seed"

echo "  ($SECONDS s)"
# --- --shard K/N and siploc merge: the union of the shards is the full run
for k in 1 2 3; do
  expect_exit 0 "shard $k/3" "$SIPLOC" run -q --shard "$k/3" --out "$E2E_TMP/sh$k"
done
check "shards hold disjoint scenarios that add up to the corpus" sh -c \
  "jq -r '.scenarios[].id' '$E2E_TMP'/sh[123]/results.json | sort >'$E2E_TMP/u'; jq -r '.scenarios[].id' '$E2E_TMP/jd/results.json' | sort | cmp -s - '$E2E_TMP/u'"
check "every shard records the split" jq -se '[.[].shard | "\(.index)/\(.count) \(.total) \(.plan)"] | (map(split(" ")[1:]) | unique | length == 1) and (map(split(" ")[0]) == ["1/3", "2/3", "3/3"])' "$E2E_TMP"/sh[123]/results.json
check "the split is balanced by cost: no shard holds more than half the corpus" jq -se \
  '[.[].scenarios | length] | max <= (add / 2)' "$E2E_TMP"/sh[123]/results.json
# Again, with the paths in another order: the same scenarios.
# (only the split is judged here, not the verdicts)
# shellcheck disable=SC2046 # one argument per directory
"$SIPLOC" run -q --shard 2/3 --out "$E2E_TMP/sh2b" $(ls -d scenarios/rfc3263/*/ | sort -r) >/dev/null 2>&1
check "the same shard again holds the same scenarios" sh -c \
  "[ \"\$(jq -c '[.scenarios[].id] | sort' '$E2E_TMP/sh2/results.json')\" = \"\$(jq -c '[.scenarios[].id] | sort' '$E2E_TMP/sh2b/results.json')\" ]"
echo "  ($SECONDS s)"
expect_exit 0 "siploc merge of the three shards" "$SIPLOC" merge --out "$E2E_TMP/merged" "$E2E_TMP/sh3" "$E2E_TMP/sh1" "$E2E_TMP/sh2"
M=$E2E_TMP/merged
check "merged: the full run's order, verdicts, seeds and checks" sh -c "[ \"\$(jq -r '.scenarios[] | [.id, .file, .verdict, .seed, ([.checks[] | .check + \"=\" + .verdict] | join(\",\"))] | @tsv' '$M/results.json')\" = \"\$(jq -r '.scenarios[] | [.id, .file, .verdict, .seed, ([.checks[] | .check + \"=\" + .verdict] | join(\",\"))] | @tsv' '$E2E_TMP/jd/results.json')\" ]"
check "merged: the full run's requirement verdicts" sh -c "[ \"\$(jq -c '.requirements | map_values(.verdict)' '$M/results.json')\" = \"\$(jq -c '.requirements | map_values(.verdict)' '$E2E_TMP/jd/results.json')\" ]"
check "merged: each requirement lists the union of the shards' scenarios" jq -se \
  '.[0].requirements as $m | ([.[1:][].requirements | to_entries[]] | group_by(.key) | map({ key: .[0].key, value: ([.[].value.scenarios[]] | sort) }) | from_entries) as $u | ($m | map_values(.scenarios | sort)) == $u' \
  "$M/results.json" "$E2E_TMP"/sh[123]/results.json
check "merged: the full run's summary" sh -c "[ \"\$(jq -cS .summary '$M/results.json')\" = \"\$(jq -cS .summary '$E2E_TMP/jd/results.json')\" ]"
check "merged: a pcap and a log per scenario" sh -c "[ \$(ls '$M/pcap' | wc -l) -eq $N ] && [ \$(ls '$M/log' | wc -l) -eq $N ]"
check "merged: pcaps are the shards' own" cmp "$M/pcap/fo-503-next-srv-target.pcap" "$(ls "$E2E_TMP"/sh[123]/pcap/fo-503-next-srv-target.pcap)"
check "merged: junit.xml and report.html written" test -s "$M/junit.xml" -a -s "$M/report.html"
check "merged: junit.xml has one testcase per scenario" test "$(grep -c '<testcase' "$M/junit.xml")" -eq "$N"
check "merged: timing sums the SUT time" jq -se '(.[0].timing.sut_s - ([.[1:][].timing.sut_s] | add)) | fabs < 0.01' "$M/results.json" "$E2E_TMP"/sh[123]/results.json
check "merged: merged_from names the three shards" jq -e '[.merged_from[].shard.index] | sort == [1, 2, 3]' "$M/results.json"
expect_exit 0 "siploc report rebuilds the merged reports" "$SIPLOC" report "$M"
# refusals, each exit 2 with the cause named
expect_exit 2 "merge: a shard given twice" "$SIPLOC" merge --out "$E2E_TMP/m2" "$E2E_TMP/sh1" "$E2E_TMP/sh2" "$E2E_TMP/sh2b" "$E2E_TMP/sh3"
check "  names the shard" grep -q 'shard 2/3 given twice' "$E2E_TMP/last.err"
expect_exit 2 "merge: a shard missing" "$SIPLOC" merge --out "$E2E_TMP/m3" "$E2E_TMP/sh1" "$E2E_TMP/sh3"
check "  names it" grep -q 'shard 2/3 is missing' "$E2E_TMP/last.err"
expect_exit 2 "merge: overlapping plain runs" "$SIPLOC" merge --out "$E2E_TMP/m4" "$E2E_TMP/j1" "$E2E_TMP/jd"
check "  names the scenario and both inputs" grep -qE "scenario '[a-z0-9-]+' is in both .*/j1 and .*/jd" "$E2E_TMP/last.err"
expect_exit 1 "a run of a mutant" "$SIPLOC" run -q --sut mutant-same-branch --out "$E2E_TMP/mut" scenarios/rfc3263/4.3-failure/fo-503-next-srv-target.lua
expect_exit 2 "merge: runs of different SUTs" "$SIPLOC" merge --out "$E2E_TMP/m5" "$E2E_TMP/sh1" "$E2E_TMP/mut"
check "  names both SUTs" grep -qE 'ran SUT ref [0-9.]+ but .*/mut ran ref [0-9.]+-mutant-same-branch' "$E2E_TMP/last.err"
# a shard of another split (4 shards, so another plan): its results.json is all merge reads
mkdir -p "$E2E_TMP/q2" && jq '.shard.count = 4 | .shard.plan = "0123456789abcdef"' "$E2E_TMP/sh2/results.json" >"$E2E_TMP/q2/results.json"
expect_exit 2 "merge: shards of different splits" "$SIPLOC" merge --out "$E2E_TMP/m6" "$E2E_TMP/sh1" "$E2E_TMP/q2" "$E2E_TMP/sh3"
check "  says different splits" grep -q 'different splits' "$E2E_TMP/last.err"
mkdir -p "$E2E_TMP/cut" && jq '.scenarios |= .[1:]' "$E2E_TMP/sh2/results.json" >"$E2E_TMP/cut/results.json"
expect_exit 2 "merge: a shard cut short" "$SIPLOC" merge --out "$E2E_TMP/m9" "$E2E_TMP/sh1" "$E2E_TMP/cut" "$E2E_TMP/sh3"
check "  says interrupted" grep -q 'interrupted' "$E2E_TMP/last.err"
expect_exit 2 "merge: a shard and a plain run" "$SIPLOC" merge --out "$E2E_TMP/m7" "$E2E_TMP/sh1" "$E2E_TMP/rep"
expect_exit 2 "merge: --out among the inputs" "$SIPLOC" merge --out "$E2E_TMP/sh1" "$E2E_TMP/sh1" "$E2E_TMP/sh2" "$E2E_TMP/sh3"
expect_exit 2 "merge: an input without results.json" "$SIPLOC" merge --out "$E2E_TMP/m8" "$E2E_TMP/seed"
check "  names the file" grep -q "$E2E_TMP/seed/results.json" "$E2E_TMP/last.err"
expect_exit 2 "--shard 4/3 is refused" "$SIPLOC" run --shard 4/3 --out "$E2E_TMP/x"
check "  with the expected form" grep -q 'expected K/N' "$E2E_TMP/last.err"
printf 'fo-503-next-srv-target\tfast\n' >"$E2E_TMP/bad-costs.tsv"
expect_exit 2 "a bad costs table is refused" "$SIPLOC" run --shard 1/2 --costs "$E2E_TMP/bad-costs.tsv" --out "$E2E_TMP/x"
check "  naming file and line" grep -q 'bad-costs.tsv:1:' "$E2E_TMP/last.err"

finish
