#!/usr/bin/env bash
# test_fdns_scenario.sh: the in-scenario fake DNS against real clients: kdig and dig run as
# an exec SUT (tests/e2e/exec_dns_clients.sh) inside a scenario's namespace, for every
# record type, TCP with several queries on one connection, EDNS, truncation, 0x20 and each
# fault; the scenario checks dns_queries(), this script what the clients saw and that
# results.json links each answer to its pcap frame (a wrong-port one from its other port).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$E2E_TMP"' EXIT
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
for tool in jq tshark kdig dig; do
	command -v $tool >/dev/null || { bad "$tool not installed (scripts/deps.sh)"; finish; exit 1; }
done

FAULTS="servfail nxdomain refused notimp delay ttl0 bad-pointer truncated-rdata wrong-id wrong-port"
mkdir -p "$E2E_TMP/sc"
cat >"$E2E_TMP/sc/fdns-clients.lua" <<'EOF'
scenario { id = "fdns-clients", covers = { "DNS-SERVFAIL" }, needs = { "udp" },
           summary = "kdig and dig against the in-scenario fake DNS" }
local z = { [[
$ORIGIN example.test.
$TTL 300
@       IN SOA ns1 hostmaster 1 3600 600 86400 60
@       IN NS ns1
ns1     IN A 127.0.0.53
@       IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp
_sip._udp IN SRV 10 60 5060 sip1
sip1    IN A 127.0.0.2
sip1    60 IN AAAA fd00::2
alias   IN CNAME sip1
txt     IN TXT "hello world"
gen     IN TYPE65534 \# 4 0a000001
]] }
for i = 0, 39 do
  z[#z + 1] = string.format("_sip._udp.big IN SRV %d 10 5060 host%02d.example.test.\n", i, i)
end
local faults = { servfail = 2, nxdomain = 3, refused = 5, notimp = 4, delay = 0, ttl0 = 0,
  ["bad-pointer"] = 0, ["truncated-rdata"] = 0, ["wrong-id"] = 0, ["wrong-port"] = 0 }
for f in pairs(faults) do z[#z + 1] = f .. " IN A 127.0.0.9\n" end
z[#z + 1] = "drop IN A 127.0.0.9\ntruncate IN A 127.0.0.9\n"
zone(table.concat(z))
for f in pairs(faults) do
  dns_fault{ match = { name = f .. ".example.test" }, action = f, delay = f == "delay" and 1 or nil }
end
dns_fault{ match = { name = "drop.example.test" }, action = "drop", times = 2 }
dns_fault{ match = { name = "truncate.example.test" }, action = "truncate", times = 2 }
expect_status(send{ method = "OPTIONS", uri = "sip:alice@example.test" }, 200)

-- What the fake DNS says it did, query by query: kdig then dig for each fault.
local seen = {}
for _, q in ipairs(dns_queries()) do
  local n = q.name:lower():match("^([%w-]+)%.example%.test$")
  if n then
    seen[n] = seen[n] or {}
    table.insert(seen[n], q.transport .. ":" .. (q.fault or "none") .. "/" .. q.rcode)
  end
end
local function want(n, w)
  local got = table.concat(seen[n] or {}, ",")
  if got ~= w then error(n .. ": " .. got .. ", wanted " .. w) end
end
for f, rc in pairs(faults) do want(f, ("udp:%s/%d,udp:%s/%d"):format(f, rc, f, rc)) end
want("drop", "udp:drop/-1,udp:drop/-1,udp:none/0")
want("truncate", "udp:truncate/0,udp:truncate/0,tcp:none/0")
EOF

OUT=$E2E_TMP/out
"$SIPLOC" run -q --timeout 90 --sut "exec:bash $PWD/tests/e2e/exec_dns_clients.sh" --out "$OUT" "$E2E_TMP/sc" \
	>"$E2E_TMP/run.out" 2>&1
R=$OUT/results.json
LOG=$OUT/log/fdns-clients.log
PCAP=$OUT/pcap/fdns-clients.pcap
[ -f "$R" ] || { bad "no results.json: $(tail -5 "$E2E_TMP/run.out")"; finish; exit 1; }
v=$(jq -r '.scenarios[0].verdict + " " + (.scenarios[0].reason // "")' "$R")
[ "$v" = "pass " ] && ok "scenario passes (dns_queries() shows each fault)" || bad "scenario: $v"

# saw "description" CLIENT CASE REGEX [COUNT]: what the client printed for that case
saw() {
	local n re=$4
	if [[ $re == ^* ]]; then re="sut: exec 1: $2 $3: ${re#^}"; else re="sut: exec 1: $2 $3: .*$re"; fi
	n=$(grep -E -c -- "$re" "$LOG")
	if { [ $# -ge 5 ] && [ "$n" = "$5" ]; } || { [ $# -lt 5 ] && [ "$n" != 0 ]; }; then
		ok "$1"
	else
		bad "$1: wanted ${5:-some} '$2 $3' line(s) matching /$4/, got $n"
		grep -E -- "sut: exec 1: $2 $3: " "$LOG" | sed 's/^.*exec 1: /       | /' | head -12
	fi
}
S='[[:space:]]+'
saw "kdig NAPTR" kdig type-NAPTR "^example\.test\.${S}300${S}IN${S}NAPTR${S}10 50 \"s\" \"SIP\+D2U\" \"\" _sip\._udp\.example\.test\.$"
saw "kdig SRV" kdig type-SRV "IN${S}SRV${S}10 60 5060 sip1\.example\.test\.$"
saw "kdig A" kdig type-A "^sip1\.example\.test\.${S}300${S}IN${S}A${S}127\.0\.0\.2$"
saw "kdig AAAA, its own TTL" kdig type-AAAA "^sip1\.example\.test\.${S}60${S}IN${S}AAAA${S}fd00::2$"
saw "kdig CNAME" kdig type-CNAME "^alias\.example\.test\.${S}300${S}IN${S}CNAME${S}sip1\.example\.test\.$"
saw "kdig SOA" kdig type-SOA "IN${S}SOA${S}ns1\.example\.test\. hostmaster\.example\.test\. 1 3600 600 86400 60$"
saw "kdig NS" kdig type-NS "IN${S}NS${S}ns1\.example\.test\.$"
saw "kdig TXT" kdig type-TXT "IN${S}TXT${S}\"hello world\"$"
saw "kdig RFC 3597 generic type" kdig type-GENERIC '\\# 4 0A000001$'
saw "kdig NODATA: SOA, no answer" kdig nodata 'ANSWER: 0; AUTHORITY: 1;'
saw "kdig NXDOMAIN" kdig nxdomain-real 'status: NXDOMAIN'
saw "kdig +keepopen: three answers over TCP" kdig tcp-keepopen 'From 127\.0\.0\.1@53\(TCP\)' 3
saw "kdig EDNS 4096: 40 SRV over UDP" kdig edns 'ANSWER: 40; AUTHORITY: 0; ADDITIONAL: 1'
saw "kdig EDNS 4096: OPT echoed" kdig edns 'UDP size: 4096 B'
saw "kdig no EDNS: TC, no records" kdig big-ignore 'Flags: qr aa tc; QUERY: 1; ANSWER: 0;'
saw "kdig no EDNS: retries over TCP" kdig big-retry 'truncated reply .* retrying over TCP'
saw "kdig no EDNS: all 40 over TCP" kdig big-retry 'ANSWER: 40;'
saw "dig 0x20: question echoed" dig case0x20 "^;SiP1\.ExAmPlE\.tEsT\.${S}IN${S}A$"
saw "dig 0x20: answer echoed" dig case0x20 "^SiP1\.ExAmPlE\.tEsT\.${S}300${S}IN${S}A${S}127\.0\.0\.2$"
for c in kdig dig; do
	saw "$c servfail" $c servfail 'status: SERVFAIL'
	saw "$c nxdomain (fault)" $c nxdomain 'status: NXDOMAIN'
	saw "$c nxdomain carries the SOA" $c nxdomain "^example\.test\.${S}300${S}IN${S}SOA"
	saw "$c refused" $c refused 'status: REFUSED'
	saw "$c notimp" $c notimp 'status: NOTIMP'
	saw "$c delay: the answer comes" $c delay "^delay\.example\.test\.${S}300${S}IN${S}A${S}127\.0\.0\.9$"
	saw "$c ttl0" $c ttl0 "^ttl0\.example\.test\.${S}0${S}IN${S}A${S}127\.0\.0\.9$"
	saw "$c bad-pointer" $c bad-pointer 'malformed|bad compression pointer'
	saw "$c truncated-rdata" $c truncated-rdata 'malformed|unexpected end of input'
	saw "$c wrong-id: noticed" $c wrong-id 'ID mismatch|is different from query ID'
	saw "$c wrong-id: never accepted" $c wrong-id 'timed out|response timeout'
	saw "$c wrong-port: never accepted" $c wrong-port 'timed out|response timeout'
	saw "$c drop: no answer" $c drop 'timed out|response timeout'
done
saw "dig after drop times=2: answered" dig drop-after 'status: NOERROR'
saw "kdig truncate: TC" kdig truncate-ignore 'Flags: qr aa tc;'
saw "dig truncate: retries over TCP" dig truncate-retry 'Truncated, retrying in TCP mode'
saw "dig truncate: TCP answer whole" dig truncate-retry "^truncate\.example\.test\.${S}300${S}IN${S}A${S}127\.0\.0\.9$"

# ev_field QNAME FIELD: the DNS event's field (first event with that qname)
ev_field() { jq -r --arg n "$1" --arg f "$2" '[.scenarios[0].events[] | select(.qname == $n)][0][$f] // "none"' "$R"; }
[ "$(ev_field SiP1.ExAmPlE.tEsT edns)" = 1232 ] && ok "results.json: dig's EDNS payload size (1232)" ||
	bad "dig's edns: $(ev_field SiP1.ExAmPlE.tEsT edns)"
[ "$(ev_field SiP1.ExAmPlE.tEsT flags)" = ad ] && ok "results.json: dig's flags (ad, +norec)" ||
	bad "dig's flags: '$(ev_field SiP1.ExAmPlE.tEsT flags)'"
[ "$(ev_field _sip._udp.big.example.test edns)" = 4096 ] && ok "results.json: kdig +bufsize=4096" ||
	bad "kdig's edns: $(ev_field _sip._udp.big.example.test edns)"
[ "$(ev_field nope.example.test edns)" = none ] && ok "results.json: no OPT, no edns" ||
	bad "kdig's default edns: $(ev_field nope.example.test edns)"

# tshark FILTER FIELDS...: one line per matching frame
tsh() { local f=$1; shift; tshark -r "$PCAP" -Y "$f" -T fields "${@/#/-e}" 2>/dev/null; }
check "tshark reads the pcap" tshark -r "$PCAP"

echo "-- wrong-port: the answer's event has its frame, from the other port"
jq -c '.scenarios[0].events[] | select(.qname == "wrong-port.example.test")' "$R" >"$E2E_TMP/wp"
[ "$(wc -l <"$E2E_TMP/wp")" = 2 ] && ok "two wrong-port queries" || bad "wrong-port events: $(cat "$E2E_TMP/wp")"
kport=$(grep -Eo 'kdig wrong-port: .*unexpected reply source 127\.0\.0\.1@[0-9]+' "$LOG" | grep -Eo '[0-9]+$' | head -1)
while read -r ev; do
	qf=$(jq -r '.frames[0] // empty' <<<"$ev")
	rf=$(jq -r '.frames[1] // empty' <<<"$ev")
	client=$(jq -r '.from' <<<"$ev")
	if [ -z "$qf" ] || [ -z "$rf" ]; then bad "wrong-port event without two frames: $ev"; continue; fi
	ok "wrong-port event: query frame $qf, answer frame $rf"
	read -r qsrc qdst qid <<<"$(tsh "frame.number == $qf" udp.srcport udp.dstport dns.id)"
	read -r rsrc rdst rid rresp <<<"$(tsh "frame.number == $rf" udp.srcport udp.dstport dns.id dns.flags.response)"
	[ "$qdst" = 53 ] && [ "$client" = "127.0.0.1:$qsrc" ] && ok "frame $qf: the query to port 53" ||
		bad "frame $qf: $qsrc -> $qdst (event from $client)"
	[ "$rresp" = 1 ] && [ "$rid" = "$qid" ] && [ "$rdst" = "$qsrc" ] &&
		ok "frame $rf: the answer to that query ($rid)" || bad "frame $rf: id $rid resp $rresp to $rdst"
	[ -n "$rsrc" ] && [ "$rsrc" != 53 ] && ok "frame $rf: from port $rsrc, not 53" ||
		bad "frame $rf: from port '$rsrc'"
	grep -q "fault: wrong-port (answer from 127.0.0.1:$rsrc)" <<<"$ev" &&
		ok "the event names that port" || bad "event text: $ev"
	sports+=" $rsrc"
done <"$E2E_TMP/wp"
[ -n "$kport" ] && grep -qw "$kport" <<<"${sports:-}" &&
	ok "kdig saw the answer come from that port ($kport)" || bad "kdig's port '$kport' vs frames'${sports:-}'"

echo "-- TCP: the queries and answers of one connection, each in its frame"
jq -c '.scenarios[0].events[] | select(.kind == "dns" and .transport == "tcp")' "$R" >"$E2E_TMP/tcp"
n=$(wc -l <"$E2E_TMP/tcp")
[ "$n" -ge 5 ] && ok "$n DNS queries over TCP" || bad "$n TCP queries"
ka=$(jq -r 'select(.qname == "sip1.example.test" or .qname == "example.test" or .qname == "_sip._udp.example.test") | .from' "$E2E_TMP/tcp" | sort -u)
[ "$(wc -l <<<"$ka")" = 1 ] && ok "kdig +keepopen: three queries from one connection ($ka)" ||
	bad "keepopen clients: $ka"
while read -r ev; do
	q=$(jq -r '.frames[0] // empty' <<<"$ev") r=$(jq -r '.frames[1] // empty' <<<"$ev")
	name=$(jq -r .qname <<<"$ev")
	if [ -z "$q" ] || [ -z "$r" ]; then bad "TCP $name: frames $(jq -c .frames <<<"$ev")"; continue; fi
	qn=$(tsh "frame.number == $q && tcp.dstport == 53" dns.qry.name | head -1)
	rn=$(tsh "frame.number == $r && tcp.srcport == 53 && dns.flags.response == 1" dns.qry.name | head -1)
	[ "$qn" = "$name" ] && [ "$rn" = "$name" ] && ok "TCP $name: frames $q and $r" ||
		bad "TCP $name: frame $q has '$qn', frame $r has '$rn'"
done <"$E2E_TMP/tcp"
finish
