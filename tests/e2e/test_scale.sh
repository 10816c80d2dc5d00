#!/usr/bin/env bash
# Scale: zone_farm{} generates many domains and their peers, send_many{} sends a request
# to each without a settle per request, expect_farm() checks every domain was resolved
# NAPTR -> SRV -> A and routed to its first target, over the whole event log; the fake
# DNS keeps every query for dns_queries() past its default cap. Seeded bugs make
# expect_farm fail; bad options are errors naming file and line. scenarios/scale/ is
# not part of the default corpus. (bench/scale.sh measures 100 to 10 000 domains.)
set -u
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
F200=scenarios/scale/farm-200.lua

# --- not collected by default, run when named
"$SIPLOC" list >"$E2E_TMP/list" 2>&1
check "the default corpus leaves scenarios/scale out" sh -c "! grep -q '^farm-' '$E2E_TMP/list'"
check "naming scenarios/scale lists it" sh -c "'$SIPLOC' list scenarios/scale | grep -q '^farm-200 '"

# Farms run at rate 10: at rate 100 a worker kept off the CPU for 30 ms by a loaded machine
# makes the SUT's three 1 s DNS tries run out before the fake DNS reads them.
RATE=(--rate 10)

# --- 200 domains through ref
expect_exit 0 "farm-200 passes against ref" "$SIPLOC" run -q "${RATE[@]}" --out "$E2E_TMP/ref" "$F200"
R=$E2E_TMP/ref/results.json
check "expect_farm: 200 domains resolved in order and routed" jq -e '.scenarios[0].checks[] | select(.check == "expect_farm") | .verdict == "pass" and (.detail | startswith("200 domains: 200 resolved NAPTR -> SRV -> A in order (3 queries each), 200 first requests at their first target"))' "$R"
check "every query is in the event log (600)" jq -e '[.scenarios[0].events[] | select(.kind == "dns")] | length == 600' "$R"
check "200 requests, 200 distinct domains" jq -e '[.scenarios[0].events[] | select(.kind == "sut-request") | .uri] | (length == 200) and (unique | length == 200)' "$R"
check "the invariants saw all 200 transactions" jq -e '.scenarios[0].checks[] | select(.check == "invariant: new branch per attempt") | .detail | startswith("200 transaction attempt(s)")' "$R"
check "requests went out many at a time (one settle, not 200)" jq -e '.scenarios[0].sut_time_s < 400' "$R"
check "first targets spread over all 16 peers" jq -e '[.scenarios[0].events[] | select(.kind == "sip-rx") | .to] | unique | length == 16' "$R"
check "the pcap holds every query and request" sh -c \
  "[ \$(tshark -r '$E2E_TMP/ref/pcap/farm-200.pcap' -Y 'dns.flags.response == 0 || sip.Method == \"OPTIONS\"' 2>/dev/null | wc -l) -eq 800 ]"

# --- seeded bugs: expect_farm fails for the right reason
expect_exit 1 "mutant priority-desc" "$SIPLOC" run -q "${RATE[@]}" --sut mutant-priority-desc --out "$E2E_TMP/pd" "$F200"
check "  expect_farm fails: requests misrouted" jq -e '.scenarios[0].checks[] | select(.check == "expect_farm") | .verdict == "fail" and (.detail | test("200 misrouted")) and (.requirements | index("SRV-PRIORITY"))' "$E2E_TMP/pd/results.json"
check "  and cites packets" jq -e '.scenarios[0].checks[] | select(.check == "expect_farm") | .packets | length > 0' "$E2E_TMP/pd/results.json"
expect_exit 1 "mutant no-naptr" "$SIPLOC" run -q "${RATE[@]}" --sut mutant-no-naptr --out "$E2E_TMP/nn" "$F200"
check "  expect_farm fails: domains not resolved NAPTR first" jq -e '.scenarios[0].checks[] | select(.check == "expect_farm") | .verdict == "fail" and (.detail | test("200 not resolved"))' "$E2E_TMP/nn/results.json"

# --- dns_queries() keeps a large farm's queries past FDNS_HISTORY_DEFAULT (10 000)
mkdir -p "$E2E_TMP/s"
cat >"$E2E_TMP/s/history.lua" <<'LUA'
scenario { id = "history", covers = { "TP-NAPTR" }, summary = "3400 domains, 10 200 queries", t1 = 2,
           limits = { events = 100000 } }
local farm = zone_farm{ domains = 3400, peers = 4 }
local r = send_many{ farm = farm, method = "OPTIONS", concurrency = 64 }
log("sent " .. r.sent .. " ok " .. r.ok .. " queries " .. #dns_queries())
expect_farm(farm, { method = "OPTIONS" })
LUA
expect_exit 0 "3400 domains" "$SIPLOC" run -q "${RATE[@]}" --timeout 120 --out "$E2E_TMP/h" "$E2E_TMP/s/history.lua"
grep -o "sent .*" "$E2E_TMP/h/log/history.log" | sed "s/^/       | /"
# (at least 10 200: under load the SUT may retry a query, and each retry is a query too)
nq=$(jq '[.scenarios[0].events[] | select(.kind == "dns")] | length' "$E2E_TMP/h/results.json")
check "dns_queries() returns every query the event log holds ($nq > 10 000)" sh -c \
  "[ $nq -ge 10200 ] && grep -q 'sent 3400 ok 3400 queries $nq\$' '$E2E_TMP/h/log/history.log'"

# --- the other shapes: uris lists, A-only farms with a port, a peer plan
cat >"$E2E_TMP/s/shapes.lua" <<'LUA'
scenario { id = "shapes", covers = { "AD-PORT-A" }, summary = "send_many over a list; an A-only farm" }
local farm = zone_farm{ domains = 20, name = "h%d.a.test", naptr = false, srv = 0, a = 2,
                        peers = 3, base = "127.3.0.10", port = 5070, plan = reply(486) }
local r = send_many{ uris = { farm.uri(1), farm.uri(2, "bob"), farm.uri(20) }, method = "OPTIONS" }
log("list: " .. r.sent .. " sent, " .. r.ok .. " ok, first " .. r[1].status .. ", uri " .. farm.uri(2, "bob"))
log("target of 2: " .. farm.target(2) .. ", domain 7: " .. farm.domain(7) .. ", peers " .. #farm.peers)
expect_status(r[3], 486, { covers = { "AD-PORT-A" } })
local all = send_many{ farm = farm, method = "OPTIONS", concurrency = 4 }
expect_farm(farm, { method = "OPTIONS", covers = { "AD-PORT-A" } })
LUA
expect_exit 0 "send_many over a list, an A-only farm on port 5070" "$SIPLOC" run -q --out "$E2E_TMP/sh" "$E2E_TMP/s/shapes.lua"
check "send_many returns each outcome, ok counts 2xx" grep -q 'list: 3 sent, 0 ok, first 486, uri sip:bob@h2.a.test:5070' "$E2E_TMP/sh/log/shapes.log"
check "farm.target / domain / peers" grep -q 'target of 2: 127.3.0.12:5070/udp, domain 7: h7.a.test, peers 3' "$E2E_TMP/sh/log/shapes.log"
check "expect_farm on A-only domains" jq -e '.scenarios[0].checks[] | select(.check == "expect_farm") | .verdict == "pass" and (.detail | test("20 resolved A in order"))' "$E2E_TMP/sh/results.json"

# --- bad options: errors naming file and line
bad_opt() { # file-body description pattern
  printf 'scenario { id = "bad", covers = { "TP-NAPTR" }, summary = "x" }\n%s\n' "$1" >"$E2E_TMP/s/bad.lua"
  "$SIPLOC" run -q --out "$E2E_TMP/b" "$E2E_TMP/s/bad.lua" >/dev/null 2>&1
  check "$2" jq -e --arg p "$3" '.scenarios[0].verdict == "error" and (.scenarios[0].reason | test("bad.lua:2: .*" + $p))' "$E2E_TMP/b/results.json"
}
bad_opt 'zone_farm{ domains = 10, name = "farm.test" }' "a name without %d" "zone_farm.*exactly one %d"
bad_opt 'zone_farm{ domains = 10, base = "127.0.0.1" }' "peers on the SUT's address" "leave out 127.0.0.1"
bad_opt 'zone_farm{ domains = 10, base = "10.0.0.1" }' "peers outside 127/8" "127.0.0.0/8"
bad_opt 'zone_farm{ domains = 0 }' "no domains" "domains = 1"
bad_opt 'zone_farm{ domains = 5, naptr = true, srv = 0 }' "a NAPTR without SRV" "naptr = true needs srv"
bad_opt 'zone_farm{ domains = 5, colour = 1 }' "an unknown option" "unknown option 'colour'"
bad_opt 'send_many{ method = "OPTIONS" }' "send_many without uris or farm" "either uris"
bad_opt 'send_many{ uris = { "sip:a@b c" } }' "a uri with white space" "white space"
bad_opt 'expect_farm({})' "expect_farm of something else" "expected what zone_farm"

finish
