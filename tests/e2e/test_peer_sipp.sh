#!/usr/bin/env bash
# test_peer_sipp.sh: siploc's SIP peers against a real UAC (SIPp) over UDP and TCP, with
# no SUT: peer_driver runs the peers; SIPp's exit status and statistics say whether the
# scripted behaviours came out; the peers' event log is checked against tshark's reading
# of the capture (every message matched to the frame, TCP ones to the segment carrying
# their first byte). Everything runs inside a private network namespace (unshare -rn).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
BUILD=${BUILD:-build}
BIN=$BUILD/tests/peer_driver

if [ "${SIPLOC_IN_NS:-}" != 1 ]; then
	peer_driver_build "$BIN" || { echo "peer_sipp: FAIL: building $BIN"; exit 1; }
	for tool in sipp tshark unshare ip; do
		command -v $tool >/dev/null || { echo "peer_sipp: FAIL: $tool missing (scripts/deps.sh)"; exit 1; }
	done
	# The Lua side first: bad plans are refused naming the file and line; an on_request
	# that raises fails the scenario. (siploc makes its own namespaces.)
	L=$(mktemp -d)
	head='scenario { id = "ID", covers = { "FO-503" }, role = "client", needs = { "udp" }, summary = [[x]] }
zone [[
$ORIGIN example.test.
@ 300 IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.test.
_sip._udp 300 IN SRV 10 0 5060 sip1.example.test.
sip1 300 IN A 127.0.0.2
]]'
	lua_case() { # NAME BODY: writes $L/NAME.lua
		printf '%s\n%s\n' "${head/ID/$1}" "$2" >"$L/$1.lua"
	}
	lua_case icmp-tcp 'peer("127.0.0.2:5060/tcp", icmp("port"))'
	lua_case tls-opt-udp 'peer("127.0.0.2:5060/udp", reply(200), { cert = "expired" })'
	lua_case tls-bad-cert 'peer("127.0.0.2:5061/tls", reply(200), { cert = "revoked" })'
	lua_case after-final 'peer("127.0.0.2:5060/udp", { reply(486), provisional(180) })'
	lua_case bad-key 'peer("127.0.0.2:5060/udp", { invite = reply(486) })'
	lua_case handler-error 'peer("127.0.0.2:5060/udp", { on_request = function(req) error("boom") end })
local r = send{ method = "OPTIONS", uri = "sip:a@example.test" }
expect_status(r, 503)'
	"$BUILD/siploc" run -q --out "$L/out" "$L"/*.lua >/dev/null 2>&1
	R=$L/out/results.json
	reason() { jq -r --arg id "$1" '.scenarios[] | select(.id == $id) | .reason' "$R" 2>/dev/null; }
	check "lua: icmp() on a tcp peer refused at its line" \
		grep -q 'icmp-tcp.lua:8: .*icmp() fits udp peers only' <<<"$(reason icmp-tcp)"
	check "lua: tls options on a udp peer refused at their line" \
		grep -q 'tls-opt-udp.lua:8: .*fit tls peers only' <<<"$(reason tls-opt-udp)"
	check "lua: an unknown cert fault refused at its line" \
		grep -q 'tls-bad-cert.lua:8: .*cert = "revoked": one of' <<<"$(reason tls-bad-cert)"
	check "lua: a step after a final one refused" \
		grep -q 'after-final.lua:8: .*nothing can follow' <<<"$(reason after-final)"
	check "lua: a rule key that is no method refused" \
		grep -q "bad-key.lua:8: .*'invite' is not a method" <<<"$(reason bad-key)"
	check "lua: an on_request that raises fails the scenario" jq -e '.scenarios[] |
		select(.id == "handler-error") | .verdict == "fail" and
		any(.checks[]; .check == "peer on_request" and (.detail | test("boom")))' "$R"
	[ -n "${KEEP:-}" ] && echo "kept $L" || rm -rf "$L"
	SIPLOC_IN_NS=1 OUTER_PASS=$E2E_PASS OUTER_FAIL=$E2E_FAIL exec unshare -rn bash "$0" "$@"
fi

# --- inside the namespace; the counts so far came from outside
E2E_PASS=${OUTER_PASS:-0}
E2E_FAIL=${OUTER_FAIL:-0}
ip link set lo up
E2E_TMP=$(mktemp -d)
DRV_PID=
trap '[ -n "$DRV_PID" ] && kill "$DRV_PID" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$E2E_TMP"; [ -n "${KEEP:-}" ] && echo "kept $E2E_TMP"' EXIT
SX=tests/e2e/sipp
D=$E2E_TMP/drv
mkdir -p "$D"

"$BIN" 60 "$D" \
	"127.0.0.2:5060/udp=INVITE:180,486@0.2" "127.0.0.2:5060/tcp=INVITE:180,486@0.2" \
	"127.0.0.3:5060/udp=INVITE:180" "127.0.0.3:5060/tcp=INVITE:180" \
	"127.0.0.4:5060/udp=default:503+Retry-After: 60" "127.0.0.4:5060/tcp=default:503+Retry-After: 60" \
	"127.0.0.5:5060/tcp=INVITE:reset" "127.0.0.6:5060/udp=INVITE:icmp-port" \
	"127.0.0.7:5060/tcp=refuse" "127.0.0.8:5060/udp" "127.0.0.8:5060/tcp" \
	>"$D/ready" 2>"$D/stderr" &
DRV_PID=$!
for _ in $(seq 100); do grep -q ready "$D/ready" 2>/dev/null && break; sleep 0.05; done
check "peer_driver is ready" grep -q ready "$D/ready"

port=5070
# sipp_run NAME TRANSPORT(u1|t1) TARGET CALLS [sipp args...]: runs SIPp, keeps its stats.
sipp_run() {
	local name=$1 tp=$2 target=$3 calls=$4
	shift 4
	port=$((port + 1))
	timeout -k 1 12 sipp "$target" -t "$tp" -i 127.0.0.1 -p $port -m "$calls" -r 50 -nostdin -timeout 10 \
		-trace_stat -stf "$E2E_TMP/$name.csv" -trace_err -error_file "$E2E_TMP/$name.err" \
		"$@" >/dev/null 2>&1
}
# stat NAME COLUMN: the cumulative counter from SIPp's statistics file.
stat() {
	awk -F';' -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i }
		END { print (c ? $c : -1) }' "$E2E_TMP/$1.csv" 2>/dev/null
}

for tp in u1 t1; do
	sipp_run 486-$tp $tp 127.0.0.2:5060 3 -sf $SX/invite-180-486.xml
	check "$tp: 180 then 486: SIPp exit 0" test $? -eq 0
	check "$tp: 180 then 486: 3 successful calls" test "$(stat 486-$tp 'SuccessfulCall(C)')" -eq 3

	sipp_run cancel-$tp $tp 127.0.0.3:5060 2 -sf $SX/invite-cancel.xml
	check "$tp: CANCEL gets 200, INVITE 487: SIPp exit 0" test $? -eq 0
	check "$tp: CANCEL: 2 successful calls" test "$(stat cancel-$tp 'SuccessfulCall(C)')" -eq 2

	sipp_run 503-$tp $tp 127.0.0.4:5060 2 -sf $SX/options-503.xml
	check "$tp: 503 with Retry-After: 60: SIPp exit 0" test $? -eq 0

	sipp_run uac-$tp $tp 127.0.0.8:5060 5 -sn uac
	check "$tp: SIPp's own uac (INVITE/200/ACK/BYE) against a default peer: exit 0" test $? -eq 0
	check "$tp: uac: 5 successful calls" test "$(stat uac-$tp 'SuccessfulCall(C)')" -eq 5
done

# Faults: SIPp must fail, the peer must log what it did.
sipp_run reset t1 127.0.0.5:5060 1 -sn uac -max_recv_loops 1
check "tcp_reset: SIPp fails" test $? -ne 0
sipp_run refuse t1 127.0.0.7:5060 1 -sn uac
check "tcp_refuse: SIPp fails" test $? -ne 0
sipp_run icmp u1 127.0.0.6:5060 1 -sn uac -recv_timeout 1000
check "icmp port unreachable: SIPp fails" test $? -ne 0

# Malformed input: a request without Call-ID gets 400; garbage over TCP is logged, the
# connection dropped; the peer lives on (the last SIPp run passes).
# One write each: a datagram must not be split.
msg=$'OPTIONS sip:x@127.0.0.8 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKbad\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:x@y>\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n'
printf '%s' "$msg" >/dev/udp/127.0.0.8/5060
printf '%s' $'GARBAGE\r\nno length here\r\n\r\n' >/dev/tcp/127.0.0.8/5060
sleep 0.2
sipp_run after u1 127.0.0.8:5060 1 -sn uac
check "the peer still answers after malformed input" test $? -eq 0

kill -TERM "$DRV_PID"
wait "$DRV_PID"
check "peer_driver exits 0" test $? -eq 0
DRV_PID=
EV=$D/events.txt
P=$D/peers.pcap
check "events written" test -s "$EV"
check "pcap written and read by tshark" tshark -r "$P" -c 1

# Every SIP event has a frame, and tshark sees that very message in it.
tshark -r "$P" -Y sip -T fields -e frame.number -e sip.Method -e sip.Status-Code -e sip.Call-ID \
	-e sip.CSeq.seq >"$E2E_TMP/sip.txt" 2>/dev/null
unmatched=$(awk '($2 == "rx" || $2 == "tx") && $3 == 0 && $6 != "MALFORMED"' "$EV" | wc -l)
check "every well-formed SIP event is matched to a frame ($unmatched not)" test "$unmatched" -eq 0
bad=0
while read -r _ kind frame tp _ what cid cseq; do
	[ "$kind" = rx ] || [ "$kind" = tx ] || continue
	[ "$what" = MALFORMED ] && continue
	[ "$cid" = - ] && cid=
	line=$(awk -F'\t' -v f="$frame" '$1 == f' "$E2E_TMP/sip.txt")
	case "$line" in *"$what"*"$cid"*) ;; *) bad=$((bad + 1)); echo "    event $frame $tp $what $cid $cseq vs tshark: $line" ;; esac
done <"$EV"
check "each event's frame holds its method/status and Call-ID (tshark)" test "$bad" -eq 0
check "TCP messages were matched too" grep -qE '^[0-9]+ tx [1-9][0-9]* tcp .* 486 ' "$EV"
check "the CANCEL got 200 and the INVITE 487 (udp)" grep -qE '^[0-9]+ tx [1-9][0-9]* udp 127.0.0.3:5060 487 ' "$EV"

# Faults in the log, matched to their frames.
rst=$(awk '$2 == "note" && /TCP reset of/ { print $3; exit }' "$EV")
check "tcp_reset logged with its RST frame" test "${rst:-0}" -gt 0
check "tshark: that frame is a RST from the peer" \
	test "$(tshark -r "$P" -Y "frame.number == ${rst:-0} && tcp.flags.reset == 1 && ip.src == 127.0.0.5" 2>/dev/null | wc -l)" -eq 1
icmp=$(awk '$2 == "note" && /ICMP port unreachable/ { print $3; exit }' "$EV")
check "ICMP port unreachable logged with its frame" test "${icmp:-0}" -gt 0
check "tshark: that frame is ICMP type 3 code 3 from the peer" \
	test "$(tshark -r "$P" -Y "frame.number == ${icmp:-0} && icmp.type == 3 && icmp.code == 3 && ip.src == 127.0.0.6" 2>/dev/null | wc -l)" -eq 1
check "tcp_refuse logged" grep -q 'refuses connections' "$EV"
check "request without Call-ID logged as bad" grep -q 'bad request from .*: no Call-ID' "$EV"
check "... and answered 400 (tshark)" test "$(tshark -r "$P" -Y 'sip.Status-Code == 400' 2>/dev/null | wc -l)" -ge 1
check "TCP garbage logged as malformed" grep -q 'MALFORMED .*unframeable stream' "$EV"
finish
