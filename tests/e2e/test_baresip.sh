#!/usr/bin/env bash
# baresip (Debian's UA on libre) through the exec kind of adapter: the worked example of
# docs/adapters.md. OPTIONS via /options reaches the second SRV target after a 503 and
# reports its 200; a 486 is reported as it is; an INVITE answered by the peers' 2xx,
# that carries neither Contact nor SDP (contact = false) is refused by baresip (RFC 3261 12.1.1).
set -u
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
check "baresip is installed (scripts/deps.sh: baresip-core)" command -v baresip
command -v baresip >/dev/null || { finish; exit; }
SUT="exec:bash -O extglob sut_adapters/baresip/baresip_request.sh"
S=$E2E_TMP/scen
mkdir -p "$S"
cat >"$S/baresip-options.lua" <<'LUA'
scenario { id = "baresip-options", covers = { "FO-503" }, role = "client", needs = { "udp" },
  summary = [[OPTIONS through baresip: 503 at the first SRV target, 200 at the second;
then 486 from both, which is no failure.]] }
zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
_sip._udp  IN SRV   20 0 5060 sip2.example.test.
sip1       IN A     127.0.0.2
sip2       IN A     127.0.0.3
]]
peer("127.0.0.2:5060/udp", { nth = { [1] = reply(503), [2] = reply(486) } })
peer("127.0.0.3:5060/udp", reply(200))
local r = send{ method = "OPTIONS", uri = "sip:alice@example.test" }
expect_status(r, 200)
expect_route({ "127.0.0.2:5060/udp", "127.0.0.3:5060/udp" }, { method = "OPTIONS" })
local r2 = send{ method = "OPTIONS", uri = "sip:bob@example.test" }
expect_status(r2, 486, { covers = { "FO-503" } })
LUA
cat >"$S/baresip-invite.lua" <<'LUA'
scenario { id = "baresip-invite", covers = { "TXN-ACK2XX" }, role = "client", needs = { "udp" },
  summary = [[INVITE through baresip; the peer's 200 carries its Contact and an SDP answer.]] }
zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
]]
peer("127.0.0.2:5060/udp", reply(200))
local r = send{ method = "INVITE", uri = "sip:alice@example.test" }
expect_status(r, 200)
expect_ack2xx()
LUA
cat >"$S/baresip-invite-bare.lua" <<'LUA'
scenario { id = "baresip-invite-bare", covers = { "TXN-URI" }, role = "client", needs = { "udp" },
  summary = [[INVITE through baresip; the peer's 200 has no Contact and no SDP.]] }
zone [[
$ORIGIN example.test.
$TTL 300
@          IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp  IN SRV   10 0 5060 sip1.example.test.
sip1       IN A     127.0.0.2
]]
peer("127.0.0.2:5060/udp", reply(200, nil, { contact = false }))
local r = send{ method = "INVITE", uri = "sip:alice@example.test" }
expect_status(r, 200)
LUA
OUT=$E2E_TMP/out
"$SIPLOC" run -q --sut "$SUT" --out "$OUT" "$S" >"$E2E_TMP/run.out" 2>&1
R=$OUT/results.json
check "results.json written" test -s "$R"
v() { jq -r --arg id "$1" '.scenarios[] | select(.id == $id) | .verdict' "$R"; }
outc() { jq -c --arg id "$1" '[.scenarios[] | select(.id == $id) | .events[] | select(.kind == "sut-done") | .outcome]' "$R"; }
check "OPTIONS: 503 then failover to the second target, 200; then 486 (pass)" test "$(v baresip-options)" = pass
check "OPTIONS: outcomes 200 and 486" test "$(outc baresip-options)" = '["200","486"]'
check "OPTIONS: baresip's own line is in the log" grep -q 'exec 1: baresip: ----- OPTIONS of sip:alice@example.test' "$OUT/log/baresip-options.log"
check "INVITE: a 200 with Contact and SDP is accepted, ACKed with a branch of its own (pass)" \
  test "$(outc baresip-invite)" = '["200"]' -a "$(v baresip-invite)" = pass
check "INVITE: the pcap shows the 200's Contact and SDP, then baresip's ACK to the Contact" \
  sh -c "tshark -r '$OUT/pcap/baresip-invite.pcap' -Y sip -T fields -e sip.Method -e sip.contact.uri -e sdp.media -e sip.r-uri 2>/dev/null | tr '\\t' ' ' | grep -q '^ACK .*sip:siploc@127.0.0.2:5060' && tshark -r '$OUT/pcap/baresip-invite.pcap' -Y 'sip.Status-Code == 200 && sdp' 2>/dev/null | grep -q ."
check "INVITE, bare 200: baresip refuses the 2xx without Contact (session closed: Bad message)" \
  grep -q 'session closed: Bad message' "$OUT/log/baresip-invite-bare.log"
check "INVITE, bare 200: ... which the wrapper reports as internal-error (fail)" \
  test "$(outc baresip-invite-bare)" = '["internal-error"]' -a "$(v baresip-invite-bare)" = fail
finish
