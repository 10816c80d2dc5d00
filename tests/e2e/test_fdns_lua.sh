#!/usr/bin/env bash
# test_fdns_lua.sh: the fake DNS's scenario API through whole runs against ref: zone{file=},
# dns_fault (times, delay in SUT seconds, wrong-id), zone_at, dns_queries(), and the
# errors that must name the scenario file and line.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
command -v jq >/dev/null || { bad "jq not installed (scripts/deps.sh)"; finish; exit 1; }

S=$E2E_TMP/sc
mkdir -p "$S/sub"
cat >"$S/sub/site.zone" <<'EOF'
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
EOF
# head ID: the scenario{} every test scenario starts with
head() {
	printf 'scenario { id = "%s", covers = { "DNS-SERVFAIL" }, role = "client",\n' "$1"
	printf '  needs = { "udp" }, summary = "fake DNS API test" }\n'
}
sc() { head "$1" >"$S/$1.lua"; cat >>"$S/$1.lua"; }

# Faults with times=1: ref retries the query (after 1 s of SUT time) and then succeeds.
# dns_queries() must show exactly what happened; an error() makes the verdict "error".
sc api-faults <<'EOF'
zone { file = "sub/site.zone" }
dns_fault{ match = { type = "NAPTR", nth = 1 }, action = "wrong-id" }
dns_fault{ match = { name = "_SIP._udp.example.test", type = "SRV" }, action = "drop", times = 1 }
dns_fault{ match = { type = "A", transport = "udp" }, action = "delay", delay = 0.2 }
peer("127.0.0.2:5060/udp", reply(200))
local r = send{ method = "INVITE", uri = "sip:alice@example.test" }
expect_status(r, 200)
local q = dns_queries()
-- Retries depend on the SUT's timers, so count faults rather than positions.
local seen = { NAPTR = {}, SRV = {}, A = {} }
for _, e in ipairs(q) do
  if e.transport ~= "udp" then error("unexpected transport " .. e.transport) end
  table.insert(seen[e.type], (e.fault or "none") .. "/" .. e.rcode)
end
local function want(typ, i, what)
  if seen[typ][i] ~= what then
    error(string.format("%s query %d: %s, wanted %s", typ, i, tostring(seen[typ][i]), what))
  end
end
local function count(typ, what)
  local n = 0
  for _, v in ipairs(seen[typ]) do if v == what then n = n + 1 end end
  return n
end
want("NAPTR", 1, "wrong-id/0")
want("NAPTR", 2, "none/0")
want("SRV", 1, "drop/-1")
want("SRV", 2, "none/0")
want("A", 1, "delay/0")
if count("NAPTR", "wrong-id/0") ~= 1 then error("nth = 1 applied more than once") end
if count("SRV", "drop/-1") ~= 1 then error("times = 1 applied more than once") end
if count("A", "delay/0") ~= #seen.A then error("delay without times must apply to all") end
for i = 2, #q do
  if not (q[i].t >= q[i - 1].t and q[1].t >= 0) then error("times out of order") end
end
if not q[1].client:match("^127%.0%.0%.1:%d+$") or type(q[1].id) ~= "number" then
  error("client/id: " .. tostring(q[1].client) .. " " .. tostring(q[1].id))
end
EOF

# zone_at: the change is not there before t, and is after; replace drops the old records.
sc api-zone-at <<'EOF'
zone { file = "sub/site.zone" }
zone_at(50, { "_sip._udp.example.test. 1 IN SRV 10 0 5060 sip2.example.test.",
              "sip2.example.test. 1 IN A 127.0.0.3",
              "example.test. 1 IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.test." },
        { replace = true })
peer("127.0.0.2:5060/udp", reply(200))
peer("127.0.0.3:5060/udp", reply(200))
local r1 = send{ method = "INVITE", uri = "sip:alice@example.test" }
advance(400)
local r2 = send{ method = "INVITE", uri = "sip:alice@example.test" }
expect_status(r1, 200)
expect_status(r2, 200)
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp" }, { method = "INVITE" })
EOF

err_sc() { # ID LINE_OF_ERROR: the body (after the 2-line head) goes to stdin
	sc "$1"
}
err_sc bad-key <<'EOF'
dns_fault{ action = "drop", nht = 2 }
EOF
err_sc bad-match-key <<'EOF'
dns_fault{ action = "drop", match = { typ = "A" } }
EOF
err_sc bad-action <<'EOF'
dns_fault{ action = "explode" }
EOF
err_sc bad-transport <<'EOF'
dns_fault{ action = "truncate", match = { transport = "tcp" } }
EOF
err_sc bad-dotdot <<'EOF'
zone { file = "sub/../sub/site.zone" }
EOF
err_sc bad-abs <<'EOF'
zone { file = "/etc/hosts" }
EOF
err_sc bad-zone-opt <<'EOF'
zone({ "x.example.test. IN A 127.0.0.9" }, { shufle = true })
EOF
err_sc bad-zone-at <<'EOF'
zone { file = "sub/site.zone" }
zone_at(5, [[
ok.example.test. IN A 127.0.0.9
bad.example.test. IN A 300.0.0.1
]])
EOF
printf '$ORIGIN z.test.\n@ IN A 127.0.0.2\nx IN AAAA not-an-address\n' >"$S/sub/broken.zone"
err_sc bad-zone-file <<'EOF'
zone { file = "sub/broken.zone" }
EOF

"$SIPLOC" run --out "$E2E_TMP/out" "$S" >"$E2E_TMP/run.out" 2>&1
R=$E2E_TMP/out/results.json
[ -f "$R" ] || { bad "no results.json: $(tail -5 "$E2E_TMP/run.out")"; finish; exit 1; }
verdict() { jq -r --arg id "$1" '.scenarios[] | select(.id == $id) | .verdict' "$R"; }
reason() { jq -r --arg id "$1" '.scenarios[] | select(.id == $id) | .reason // ""' "$R"; }

for id in api-faults api-zone-at; do
	v=$(verdict $id)
	[ "$v" = pass ] && ok "$id passes" || bad "$id: $v $(reason $id)"
done
check "zone_at noted in the event log" grep -q 'zone_at: 3 record(s) applied' "$E2E_TMP/out/log/api-zone-at.log"
check "the event log shows the dropped query unanswered" \
	grep -Eq 'dns .* SRV _sip\._udp\.example\.test rcode=-1' "$E2E_TMP/out/log/api-faults.log"

# expect_error ID REGEX: an error verdict whose reason names the file:line and matches.
expect_error() {
	local v r
	v=$(verdict "$1")
	r=$(reason "$1")
	if [ "$v" = error ] && grep -Eq -- "$2" <<<"$r"; then ok "$1: $r"; else
		bad "$1: verdict $v, reason '$r', wanted /$2/"; fi
}
expect_error bad-key "bad-key\.lua:3: dns_fault: unknown key 'nht'"
expect_error bad-match-key "bad-match-key\.lua:3: dns_fault match: unknown key 'typ'"
expect_error bad-action "bad-action\.lua:3: dns_fault: unknown action 'explode'"
expect_error bad-transport "bad-transport\.lua:3: dns_fault: .*UDP only"
expect_error bad-dotdot "bad-dotdot\.lua:3: zone: .*may not contain '\.\.'"
expect_error bad-abs "bad-abs\.lua:3: zone: .*relative path"
expect_error bad-zone-opt "bad-zone-opt\.lua:3: zone: unknown key 'shufle'"
expect_error bad-zone-at "bad-zone-at\.lua:6: .*300\.0\.0\.1"
expect_error bad-zone-file "sub/broken\.zone:3: .*not-an-address"
finish
