#!/usr/bin/env bash
# The walking skeleton end to end: list, a full run against ref (results.json, pcaps read
# back with tshark), the same-branch mutant caught, and bad input rejected with exit 2.
set -u
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
SC=scenarios/rfc3263

# --- list
expect_exit 0 "siploc list" "$SIPLOC" list
check "list shows fo-503-next-srv-target with FO-503" grep -q 'fo-503-next-srv-target.*FO-503' "$E2E_TMP/last.out"
expect_exit 0 "siploc list --json" "$SIPLOC" list --json
check "list --json is JSON with 3+ scenarios" test "$(jq length "$E2E_TMP/last.out")" -ge 3

# --- full run against ref
OUT=$E2E_TMP/ref
expect_exit 0 "siploc run against ref passes" "$SIPLOC" run --out "$OUT"
R=$OUT/results.json
# What failed, when something did (a loaded machine can make a timing check fail).
jq -r '.scenarios[] | select(.verdict != "pass") | "       | \(.id): \(.verdict) \(.reason) \([.checks[] | select(.verdict == "fail") | .check + ": " + .detail] | join("; "))"' "$R" 2>/dev/null
check "results.json is valid JSON" jq -e . "$R"
check "every scenario passed" jq -e '[.scenarios[].verdict] | length >= 3 and all(. == "pass")' "$R"
check "summary counts match" jq -e '.summary.pass == (.scenarios | length) and .summary.fail == 0' "$R"
check "sut is ref" jq -e '.sut.name == "ref"' "$R"
check "rate recorded" jq -e '.rate == 100' "$R"
check "FO-503 requirement passes" jq -e '.requirements["FO-503"].verdict == "pass"' "$R"
check "FO-NEWBRANCH spoken for by the invariant" jq -e '.requirements["FO-NEWBRANCH"].verdict == "pass"' "$R"
check "checks carry packet numbers" jq -e '[.scenarios[].checks[] | select(.check == "expect_route") | .packets | length > 0] | all' "$R"
# tshark takes most of a second to start: the pcaps are read one per CPU at a time.
mkdir -p "$E2E_TMP/tsh"
jq -r '.scenarios[].id' "$R" | xargs -P"$(nproc)" -I{} sh -c \
  'tshark -r "$1/pcap/$2.pcap" -c 1 >/dev/null 2>&1; echo $? >"$3/$2"' _ "$OUT" {} "$E2E_TMP/tsh"
for id in $(jq -r '.scenarios[].id' "$R"); do
  check "pcap for $id exists" test -s "$OUT/pcap/$id.pcap"
  check "log for $id exists" test -s "$OUT/log/$id.log"
  check "tshark reads pcap of $id" grep -qx 0 "$E2E_TMP/tsh/$id"
done

P=$OUT/pcap/fo-503-next-srv-target.pcap
tshark -r "$P" -Y dns -T fields -e dns.flags.response -e dns.qry.type -e dns.qry.name \
  >"$E2E_TMP/dns.txt" 2>/dev/null
check "pcap: NAPTR query for example.test" grep -qP '^0\t35\texample.test$' "$E2E_TMP/dns.txt"
check "pcap: SRV query for _sip._udp.example.test" grep -qP '^0\t33\t_sip._udp.example.test$' "$E2E_TMP/dns.txt"
check "pcap: A query for sip1.example.test" grep -qP '^0\t1\tsip1.example.test$' "$E2E_TMP/dns.txt"
check "pcap: DNS answers present" grep -qP '^1\t35\t' "$E2E_TMP/dns.txt"
tshark -r "$P" -Y 'sip.Method == "INVITE"' -T fields -e ip.dst -e sip.Via.branch \
  >"$E2E_TMP/inv.txt" 2>/dev/null
check "pcap: INVITE at 127.0.0.2" grep -qP '^127.0.0.2\t' "$E2E_TMP/inv.txt"
check "pcap: INVITE at 127.0.0.3" grep -qP '^127.0.0.3\t' "$E2E_TMP/inv.txt"
b1=$(awk '$1=="127.0.0.2"{print $2; exit}' "$E2E_TMP/inv.txt")
b2=$(awk '$1=="127.0.0.3"{print $2; exit}' "$E2E_TMP/inv.txt")
check "pcap: the two INVITEs carry different branches ($b1 / $b2)" test -n "$b1" -a -n "$b2" -a "$b1" != "$b2"
check "pcap: the 503 is there" sh -c "tshark -r '$P' -Y 'sip.Status-Code == 503' 2>/dev/null | grep -q 503"

# A timer B failover reads as about 32 s of SUT time in the pcap.
P=$OUT/pcap/fo-timeout-timer-b.pcap
t2=$(tshark -r "$P" -Y 'sip.Method == "INVITE" && ip.dst == 127.0.0.3' -T fields \
       -e frame.time_relative 2>/dev/null | head -1)
t1=$(tshark -r "$P" -Y 'sip.Method == "INVITE" && ip.dst == 127.0.0.2' -T fields \
       -e frame.time_relative 2>/dev/null | head -1)
check "pcap: timer B failover 31..34 s of SUT time after the first INVITE ($t1 -> $t2)" \
  awk -v a="$t1" -v b="$t2" 'BEGIN { d = b - a; exit !(a != "" && b != "" && d > 31 && d < 34) }'

# --- without root: the worker adds a user namespace (CLONE_NEWUSER) to get its own network
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  NR=$(mktemp -d /tmp/siploc-nonroot.XXXXXX); chmod 755 "$NR"
  # A copy the unprivileged user can read wherever this clone lives.
  mkdir -p "$NR/build/adapters" "$NR/docs" "$NR/out" && chmod 1777 "$NR/out"
  cp "$SIPLOC" "$BUILD/siploc-sut" "$NR/build/" && cp "$BUILD/adapters/ref.so" "$NR/build/adapters/"
  cp docs/requirements.md "$NR/docs/" && cp "$SC/4.3-failure/fo-503-next-srv-target.lua" "$NR/"
  chmod -R a+rX "$NR"
  expect_exit 0 "run as an unprivileged user (user namespace)" \
    setpriv --reuid=65534 --regid=65534 --clear-groups "$NR/build/siploc" run --out "$NR/out/o" "$NR/fo-503-next-srv-target.lua"
  check "unprivileged run passed and wrote its pcap" test -s "$NR/out/o/pcap/fo-503-next-srv-target.pcap"
  rm -rf "$NR"
else
  echo "  (not root: every run above already used the user-namespace path)"
fi

# --- the mutant must be caught by the branch invariant
OUT=$E2E_TMP/mutant
expect_exit 1 "siploc run --sut mutant-same-branch fails" "$SIPLOC" run --sut mutant-same-branch --out "$OUT" "$SC"
R=$OUT/results.json
check "mutant: branch invariant failed" jq -e '[.scenarios[].checks[] | select(.check | startswith("invariant: new branch")) | .verdict] | any(. == "fail")' "$R"
check "mutant: FO-NEWBRANCH fails in the matrix" jq -e '.requirements["FO-NEWBRANCH"].verdict == "fail"' "$R"
check "mutant: failing branch check names packets" jq -e '[.scenarios[].checks[] | select(.check | startswith("invariant: new branch")) | select(.verdict=="fail") | .packets | length > 1] | all' "$R"

# --- bad input: exit 2 with a message naming the cause
expect_exit 2 "unknown command" "$SIPLOC" frobnicate
expect_exit 2 "unknown flag" "$SIPLOC" run --frobnicate
check "unknown flag is named" grep -q 'frobnicate' "$E2E_TMP/last.err"
expect_exit 2 "bad --rate" "$SIPLOC" run --rate fast
check "--rate error names the value" grep -q "fast" "$E2E_TMP/last.err"
expect_exit 2 "missing SUT" "$SIPLOC" run --sut no-such-sut "$SC"
check "missing SUT named" grep -q "no-such-sut" "$E2E_TMP/last.err"

mkdir -p "$E2E_TMP/bad"
cat >"$E2E_TMP/bad/syntax.lua" <<'LUA'
scenario { id = "bad-syntax", covers = { "FO-503" }, summary = "x" }
peer("127.0.0.2:5060/udp", reply(503)
LUA
expect_exit 2 "scenario with a syntax error" "$SIPLOC" run --out "$E2E_TMP/o1" "$E2E_TMP/bad/syntax.lua"
check "syntax error names file and line" grep -q 'syntax.lua:[23]:' "$E2E_TMP/last.err"
cat >"$E2E_TMP/bad/unknown-req.lua" <<'LUA'
scenario { id = "bad-req", covers = { "NOT-A-REQ" }, summary = "x" }
LUA
expect_exit 2 "unknown requirement ID" "$SIPLOC" list "$E2E_TMP/bad/unknown-req.lua"
check "unknown requirement named with file:line" grep -q "unknown-req.lua:1:.*NOT-A-REQ" "$E2E_TMP/last.err"
cat >"$E2E_TMP/bad/sandbox.lua" <<'LUA'
scenario { id = "bad-sandbox", covers = { "FO-503" }, summary = "x" }
os.execute("true")
LUA
expect_exit 1 "scenario reaching for os is an error" "$SIPLOC" run --out "$E2E_TMP/o2" "$E2E_TMP/bad/sandbox.lua"
check "sandbox error recorded with file:line" jq -e '.scenarios[0].verdict == "error" and (.scenarios[0].reason | test("sandbox.lua:2:"))' "$E2E_TMP/o2/results.json"
cat >"$E2E_TMP/bad/zone.lua" <<'LUA'
scenario { id = "bad-zone", covers = { "FO-503" }, summary = "x" }
zone [[
$ORIGIN example.test.
ok   IN A 127.0.0.2
oops IN A not-an-address
]]
LUA
expect_exit 1 "scenario with a bad zone is an error" "$SIPLOC" run --out "$E2E_TMP/o3" "$E2E_TMP/bad/zone.lua"
check "bad zone error names file and line 5" jq -e '.scenarios[0].verdict == "error" and (.scenarios[0].reason | test("zone.lua:5"))' "$E2E_TMP/o3/results.json"
cat >"$E2E_TMP/bad/opt.lua" <<'LUA'
scenario { id = "bad-opt", covers = { "FO-503" }, summary = "x" }
peer("127.0.0.2:5060/udp", reply(200, nil, { dealy = 2 }))
LUA
expect_exit 1 "a misspelt reply() option is an error" "$SIPLOC" run --out "$E2E_TMP/o5" "$E2E_TMP/bad/opt.lua"
check "... naming the option, file and line" jq -e '.scenarios[0].verdict == "error" and (.scenarios[0].reason | test("opt.lua:2: .*unknown option .dealy."))' "$E2E_TMP/o5/results.json"
cat >"$E2E_TMP/bad/loop.lua" <<'LUA'
scenario { id = "bad-loop", covers = { "FO-503" }, summary = "x" }
while true do pcall(function() while true do end end) end
LUA
expect_exit 1 "endless loop (even under pcall) is stopped" "$SIPLOC" run --out "$E2E_TMP/o4" "$E2E_TMP/bad/loop.lua"
check "endless loop reported as instruction limit" jq -e '.scenarios[0].reason | test("instruction limit")' "$E2E_TMP/o4/results.json"
# and a good scenario next to a bad one still runs and leaves its pcap
cp "$SC/4.3-failure/fo-503-next-srv-target.lua" "$E2E_TMP/bad/"
expect_exit 2 "bad file next to a good one: run goes on, exit 2" "$SIPLOC" run --out "$E2E_TMP/o5" "$E2E_TMP/bad"
check "the good scenario still passed" jq -e '[.scenarios[] | select(.id=="fo-503-next-srv-target") | .verdict] == ["pass"]' "$E2E_TMP/o5/results.json"
check "its pcap was written" test -s "$E2E_TMP/o5/pcap/fo-503-next-srv-target.pcap"

finish
