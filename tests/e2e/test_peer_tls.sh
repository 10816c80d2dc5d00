#!/usr/bin/env bash
# test_peer_tls.sh: siploc's TLS peers against real TLS clients. SIPp here is built
# without TLS ("To use a TLS transport you must compile SIPp with OpenSSL"), so the
# client is openssl s_client: (1) through whole scenario runs, as an exec SUT
# (tests/e2e/exec_tls_client.sh) that verifies the peer's certificate against the CA
# siploc handed it and against the URI's domain; (2) with no SUT, against peer_driver in
# a private namespace (unshare -rn): every TCP behaviour over TLS, IPv4 and IPv6, framing
# across records, the certificate faults, a response over a new connection to the Via
# sent-by (openssl s_server there); the event log is checked against tshark's reading of
# the pcap decrypted with the key log.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
BUILD=${BUILD:-build}
BIN=$BUILD/tests/peer_driver

if [ "${SIPLOC_IN_NS:-}" != 1 ]; then
	peer_driver_build "$BIN" || { echo "peer_tls: FAIL: building $BIN"; exit 1; }
	for tool in openssl tshark unshare ip kdig jq; do
		command -v $tool >/dev/null || { echo "peer_tls: FAIL: $tool missing (scripts/deps.sh)"; exit 1; }
	done
	E2E_TMP=$(mktemp -d)
	L=$E2E_TMP/scn
	mkdir -p "$L"
	head='scenario { id = "ID", covers = { "FO-TRANSPORT" }, role = "client", summary = [[x]] }
zone [[
$ORIGIN example.test.
@ 300 IN NAPTR 10 50 "s" "SIPS+D2T" "" _sips._tcp.example.test.
_sips._tcp 300 IN SRV 10 0 5061 sip1.example.test.
sip1 300 IN A 127.0.0.2
v6 300 IN NAPTR 10 50 "s" "SIPS+D2T" "" _sips._tcp.v6.example.test.
_sips._tcp.v6 300 IN SRV 10 0 5061 sip6.example.test.
sip6 300 IN AAAA fd00::6
]]'
	scn() { printf '%s\n%s\n' "${head/ID/$1}" "$2" >"$L/$1.lua"; }
	scn tls-ok 'peer("127.0.0.2:5061/tls", reply(486))
local r = send{ method = "OPTIONS", uri = "sips:bob@example.test" }
expect_status(r, 486)'
	scn tls-v6 'peer("[fd00::6]:5061/tls", reply(486))
local r = send{ method = "OPTIONS", uri = "sips:bob@v6.example.test" }
expect_status(r, 486)'
	for f in wrong-name expired untrusted; do
		scn "tls-$f" "peer(\"127.0.0.2:5061/tls\", reply(486), { cert = \"$f\" })
local r = send{ method = \"OPTIONS\", uri = \"sips:bob@example.test\" }
expect_status(r, \"transport-error\")"
	done
	scn tls-abort 'peer("127.0.0.2:5061/tls", reply(486), { handshake = "abort" })
local r = send{ method = "OPTIONS", uri = "sips:bob@example.test" }
expect_status(r, "transport-error")'
	# names = {...} replaces the zone's names: the URI's domain is not among them.
	scn tls-names 'peer("127.0.0.2:5061/tls", reply(486), { names = { "sip1.example.test" } })
local r = send{ method = "OPTIONS", uri = "sips:bob@example.test" }
expect_status(r, "transport-error")'
	SIPLOC_EXEC_CAPS=tls,ipv6 "$BUILD/siploc" run -q --pcapng --out "$L/out" \
		--sut exec:'bash tests/e2e/exec_tls_client.sh {uri} {method} {ca}' "$L"/*.lua \
		>"$E2E_TMP/run.out" 2>&1
	R=$L/out/results.json
	verdict() { jq -r --arg id "$1" '.scenarios[] | select(.id == $id) | .verdict' "$R" 2>/dev/null; }
	for id in tls-ok tls-v6 tls-wrong-name tls-expired tls-untrusted tls-abort tls-names; do
		check "scenario $id passes (s_client as the SUT: 486, or refused)" test "$(verdict $id)" = pass
	done
	W=$L/out/work/tls-ok
	check "the test CA is in work/<id>/tls-ca.pem" test -s "$W/tls-ca.pem"
	check "the CA file reached the SUT through the ABI (cfg ca -> {ca})" \
		grep -q "tls-ok/tls-ca.pem" "$L/out/log/tls-ok.log"
	check "the peer's certificate chains to it (openssl verify)" \
		openssl verify -CAfile "$W/tls-ca.pem" -purpose sslserver "$W/tls-127.0.0.2-5061.pem"
	san=$(openssl x509 -in "$W/tls-127.0.0.2-5061.pem" -noout -ext subjectAltName 2>/dev/null | tail -1)
	check "its names come from the zone: the SIP domain, the host, the address ($san)" \
		test "$(echo $san)" = "DNS:example.test, DNS:sip1.example.test, IP Address:127.0.0.2"
	check "... and the key matches it" test \
		"$(openssl x509 -in "$W/tls-127.0.0.2-5061.pem" -noout -pubkey | openssl sha256)" = \
		"$(openssl pkey -in "$W/tls-127.0.0.2-5061.key" -pubout | openssl sha256)"
	check "IPv6 peer: AAAA names and the address" grep -q 'DNS:v6.example.test, DNS:sip6.example.test, IP Address:FD00:0:0:0:0:0:0:6' \
		"$L/out/log/tls-v6.log"
	check "expired certificate: s_client says so" grep -q 'certificate has expired' "$L/out/log/tls-expired.log"
	check "wrong name: s_client says so" grep -q 'hostname mismatch' "$L/out/log/tls-wrong-name.log"
	check "untrusted CA: s_client says so" grep -q 'unable to get local issuer certificate' "$L/out/log/tls-untrusted.log"
	check "aborted handshake: the peer logs it" grep -q 'failed: aborted by the peer at the ClientHello' "$L/out/log/tls-abort.log"
	check "... and the client saw the alert" grep -qi 'handshake failure' "$L/out/log/tls-abort.log"
	check "the rejected certificate is logged with the client's alert" \
		grep -qE 'note +#[0-9]+ peer 127.0.0.2:5061/tls: TLS handshake with .* failed: .*alert' "$L/out/log/tls-expired.log"
	check "events carry the top Via's transport and sent-by" jq -e '[.scenarios[] | select(.id == "tls-ok") |
		.events[] | select(.kind == "sip-rx")] | length == 1 and .[0].via_transport == "TLS" and
		.[0].via_sentby == "127.0.0.1"' "$R"
	check "results.json names the key log" jq -e '.scenarios[] | select(.id == "tls-ok") | .keylog == "pcap/tls-ok.keys"' "$R"
	P=$L/out/pcap
	for id in tls-ok tls-v6; do
		tshark -r "$P/$id.pcap" -o "tls.keylog_file:$P/$id.keys" -Y sip -T fields -e frame.number \
			-e sip.Method -e sip.Status-Code >"$E2E_TMP/$id.sip" 2>/dev/null
		want=$(jq -r --arg id $id '.scenarios[] | select(.id == $id) | .events[] |
			select(.kind == "sip-rx" or .kind == "sip-tx") | "\(.frames[0])\t\(.method // "")\t\(.status // "")"' "$R")
		check "$id: tshark decrypts with pcap/$id.keys; frames and methods/status = the event log" \
			test "$(cat "$E2E_TMP/$id.sip")" = "$want"
		check "$id: without the keys tshark sees no SIP" \
			test "$(tshark -r "$P/$id.pcap" -Y sip 2>/dev/null | wc -l)" -eq 0
		check "$id: the pcapng alone decrypts (Decryption Secrets Block)" \
			test "$(tshark -r "$P/$id.pcapng" -Y sip -T fields -e frame.number -e sip.Method -e sip.Status-Code 2>/dev/null)" = "$want"
	done
	[ -n "${KEEP:-}" ] && echo "kept $E2E_TMP" || rm -rf "$E2E_TMP"
	SIPLOC_IN_NS=1 OUTER_PASS=$E2E_PASS OUTER_FAIL=$E2E_FAIL exec unshare -rn bash "$0" "$@"
fi

# --- inside the namespace; the counts so far came from outside
E2E_PASS=${OUTER_PASS:-0}
E2E_FAIL=${OUTER_FAIL:-0}
ip link set lo up
E2E_TMP=$(mktemp -d)
DRV_PID= SRV_PID=
trap '[ -n "$DRV_PID" ] && kill "$DRV_PID" 2>/dev/null; [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$E2E_TMP"; [ -n "${KEEP:-}" ] && echo "kept $E2E_TMP"' EXIT
D=$E2E_TMP/drv
mkdir -p "$D"
N='names:sip1.example.test,127.0.0.2'
"$BIN" 60 "$D" \
	"127.0.0.2:5061/tls=INVITE:180,486@0.3;OPTIONS:200|$N" "127.0.0.3:5061/tls=INVITE:180" \
	"[fd00::4]:5061/tls=default:503+Retry-After: 60" "127.0.0.5:5061/tls=INVITE:reset;OPTIONS:close" \
	"127.0.0.7:5061/tls=refuse" "127.0.0.9:5061/tls=dropsyn" "127.0.0.10:5061/tls=INVITE:486@1" \
	"127.0.0.11:5061/tls|cert:wrong-name" "127.0.0.12:5061/tls|cert:expired" \
	"127.0.0.13:5061/tls|cert:untrusted" "127.0.0.14:5061/tls|abort" "127.0.0.15:5061/tls=INVITE:200" \
	>"$D/ready" 2>"$D/stderr" &
DRV_PID=$!
for _ in $(seq 100); do grep -q ready "$D/ready" 2>/dev/null && break; sleep 0.05; done
check "peer_driver is ready" grep -q ready "$D/ready"
CA=$D/ca.pem

# msg METHOD CALLID BRANCH [TO-TAG] [SENT-BY]
msg() {
	env printf '%s sip:bob@example.test SIP/2.0\r\nVia: SIP/2.0/TLS %s;branch=z9hG4bK%s\r\nMax-Forwards: 70\r\nFrom: <sip:a@example.test>;tag=f1\r\nTo: <sip:bob@example.test>%s\r\nCall-ID: %s\r\nCSeq: 1 %s\r\nContent-Length: 0\r\n\r\n' \
		"$1" "${5:-127.0.0.1:5999}" "$3" "${4:+;tag=$4}" "$2" "$1"
}
# tls NAME ADDR:PORT [s_client args...]: stdin goes over TLS, responses to $E2E_TMP/NAME.out
tls() {
	local name=$1 to=$2
	shift 2
	timeout -k 1 6 openssl s_client -connect "$to" -CAfile "$CA" -verify_return_error -quiet \
		-no_ign_eof "$@" >"$E2E_TMP/$name.out" 2>"$E2E_TMP/$name.err"
}
codes() { sed -n 's/^SIP\/2\.0 \([0-9]*\).*/\1/p' "$E2E_TMP/$1.out" | tr '\n' ' '; }

# 180 then 486 after 0.3 s; a retransmission before the 486 gets the 180 again (RFC 3261
# 17.2); the ACK is absorbed.
{ msg INVITE c1 b1; sleep 0.1; msg INVITE c1 b1; sleep 0.5; msg ACK c1 b1 sl1; sleep 0.2; } |
	tls inv 127.0.0.2:5061 -verify_hostname sip1.example.test
check "180, the 180 again for the retransmission, then 486 (got: $(codes inv))" test "$(codes inv)" = "180 180 486 "
# Several messages in one record, one message over three records.
# ($(...) would strip the messages' final CRLFs: hence the x.)
a=$(msg OPTIONS c2a b2a; echo x) b=$(msg OPTIONS c2b b2b; echo x) c=$(msg OPTIONS c2c b2c; echo x)
a=${a%x} b=${b%x} c=${c%x}
{ env printf '%s%s' "$a" "$b"; sleep 0.2
  printf '%s' "${c:0:20}"; sleep 0.1; printf '%s' "${c:20:60}"; sleep 0.1
  printf '%s' "${c:80}"; sleep 0.3; } | tls frame 127.0.0.2:5061 -verify_ip 127.0.0.2
check "two messages in one record, one over three: three 200s (got: $(codes frame))" test "$(codes frame)" = "200 200 200 "
# CANCEL: 200 for it, 487 for the INVITE.
{ msg INVITE c3 b3; sleep 0.2; msg CANCEL c3 b3; sleep 0.3; msg ACK c3 b3 sl1; sleep 0.1; } | tls cancel 127.0.0.3:5061
check "CANCEL: 180, 200 (CANCEL), 487 (got: $(codes cancel))" test "$(codes cancel)" = "180 200 487 "
check "... the 487 is for the INVITE" grep -q 'CSeq: 1 INVITE' <(sed -n '/^SIP\/2.0 487/,/^\r*$/p' "$E2E_TMP/cancel.out")
# A 2xx to INVITE over TLS: not retransmitted (reliable transport); its ACK (a new
# transaction, To tag of the 200) is watched for, and a missing one noted at the end.
{ msg INVITE c12 b12; sleep 0.2; msg ACK c12 b12ack sl1; sleep 0.1; msg INVITE c13 b13; sleep 0.3; } |
	tls ack 127.0.0.15:5061
check "2xx over TLS: one 200 per INVITE, none retransmitted (got: $(codes ack))" test "$(codes ack)" = "200 200 "
# IPv6: 503 with Retry-After; the default certificate names the address.
{ msg OPTIONS c4 b4 '' '[fd00::1]:5999'; sleep 0.3; } | tls v6 '[fd00::4]:5061' -verify_ip fd00::4
check "IPv6: 503 (got: $(codes v6))" test "$(codes v6)" = "503 "
check "IPv6: with Retry-After: 60" grep -q '^Retry-After: 60' "$E2E_TMP/v6.out"
# Faults after the handshake: reset, close (close_notify then FIN).
{ msg INVITE c5 b5; sleep 0.3; } | tls reset 127.0.0.5:5061
check "tcp_reset over TLS: no answer, the reset reaches s_client" grep -qi 'reset\|errno=104' "$E2E_TMP/reset.err"
{ msg OPTIONS c6 b6; sleep 0.3; } | tls close 127.0.0.5:5061
check "close_before_response over TLS: no answer" test -z "$(codes close)"
# Before TLS: refused, SYN dropped.
{ sleep 0.1; } | tls refuse 127.0.0.7:5061
check "tcp_refuse: connection refused" grep -qi 'refused' "$E2E_TMP/refuse.err"
timeout 1 openssl s_client -connect 127.0.0.9:5061 -quiet </dev/null >/dev/null 2>&1
check "drop_syn: the connect hangs (timeout)" test $? -eq 124
# Certificate faults, as a verifying client sees them.
{ msg OPTIONS c7 b7; sleep 0.2; } | tls wrong 127.0.0.11:5061 -verify_ip 127.0.0.11
check "wrong-name: rejected by -verify_ip/-verify_return_error" grep -q 'IP address mismatch' "$E2E_TMP/wrong.err"
{ msg OPTIONS c7 b7; sleep 0.2; } | tls wrong2 127.0.0.11:5061 -verify_hostname sip1.example.test
check "wrong-name: rejected by -verify_hostname" grep -q 'hostname mismatch' "$E2E_TMP/wrong2.err"
{ msg OPTIONS c8 b8; sleep 0.2; } | tls expired 127.0.0.12:5061
check "expired: rejected" grep -q 'certificate has expired' "$E2E_TMP/expired.err"
{ msg OPTIONS c9 b9; sleep 0.2; } | tls untrusted 127.0.0.13:5061
check "untrusted CA: rejected" grep -q 'unable to get local issuer certificate' "$E2E_TMP/untrusted.err"
{ msg OPTIONS c10 b10; sleep 0.2; } | tls abort 127.0.0.14:5061
check "handshake = abort: the client gets a handshake_failure alert" grep -qi 'handshake failure' "$E2E_TMP/abort.err"
for f in wrong expired untrusted abort; do
	check "$f: nothing reached the peer as SIP" test -z "$(codes $f)"
done
# The client sends, then goes: the 486 goes over a new TLS connection to the Via sent-by,
# where openssl s_server takes it.
# (stdin kept open: at its end s_server would hang up at once.)
sleep 8 | timeout -k 1 10 openssl s_server -accept 127.0.0.1:5998 -cert "$D/127.0.0.2-5061.pem" \
	-key "$D/127.0.0.2-5061.key" -quiet -naccept 1 >"$E2E_TMP/srv.out" 2>"$E2E_TMP/srv.err" &
SRV_PID=$!
sleep 0.3
{ msg INVITE c11 b11 '' 127.0.0.1:5998; sleep 0.1; } | tls sentby 127.0.0.10:5061
for _ in $(seq 40); do grep -q '^SIP/2.0 486' "$E2E_TMP/srv.out" && break; sleep 0.05; done
check "nothing on the closed connection" test -z "$(codes sentby)"
check "the 486 came to the Via sent-by over a new TLS connection (s_server)" grep -q '^SIP/2.0 486' "$E2E_TMP/srv.out"
check "... for that INVITE" grep -q '^Call-ID: c11' "$E2E_TMP/srv.out"
kill "$SRV_PID" 2>/dev/null
SRV_PID=

kill -TERM "$DRV_PID"
wait "$DRV_PID"
check "peer_driver exits 0" test $? -eq 0
DRV_PID=
EV=$D/events.txt
P=$D/peers.pcap
check "key log written" test -s "$D/peers.keys"
check "the sent-by path is logged" grep -q 'goes over a new TLS connection to the Via sent-by 127.0.0.1:5998' "$EV"
check "the INVITE whose 200 got no ACK is noted, the other not" \
	test "$(grep -c 'no ACK for the 2xx to INVITE (Call-ID c1[23])' "$EV")" -eq 1 -a \
	"$(grep -c 'no ACK for the 2xx to INVITE (Call-ID c13)' "$EV")" -eq 1
check "cert faults logged as failed handshakes" test "$(grep -c 'TLS handshake with .* failed' "$EV")" -ge 5
# Every SIP event has a frame, and tshark, decrypting with the key log, sees that very
# message in it. The event names the frame carrying the record with the message's first
# byte, tshark the one where the message ends: when they differ (a message over several
# records or segments), tshark calls the event's frame part of a reassembled PDU and
# shows the message at the next SIP frame of that TCP stream.
# (5998, the sent-by's port, is no SIP port of tshark's: decoded as SIP over TLS.)
DEC=(-o "tls.keylog_file:$D/peers.keys" -d tcp.port==5998,tls -d tls.port==5998,sip)
tshark -r "$P" "${DEC[@]}" -Y sip -T fields -e frame.number -e sip.Method \
	-e sip.Status-Code -e sip.Call-ID -e tcp.stream >"$E2E_TMP/sip.txt" 2>/dev/null
tshark -r "$P" "${DEC[@]}" -T fields -e frame.number -e tcp.stream \
	-e _ws.col.Info >"$E2E_TMP/all.txt" 2>/dev/null
check "tshark decrypts SIP over TLS (IPv4 and IPv6)" grep -qP '\tc4\t' "$E2E_TMP/sip.txt"
unmatched=$(awk '($2 == "rx" || $2 == "tx") && $3 == 0 && $6 != "MALFORMED"' "$EV" | wc -l)
check "every SIP event is matched to a frame ($unmatched not)" test "$unmatched" -eq 0
bad=0 n=0 split=0
while read -r _ kind frame tp _ what cid _; do
	[ "$kind" = rx ] || [ "$kind" = tx ] || continue
	n=$((n + 1))
	line=$(awk -F'\t' -v f="$frame" '$1 == f' "$E2E_TMP/sip.txt")
	if [ -z "$line" ] && awk -F'\t' -v f="$frame" '$1 == f && /reassembled PDU/ { x = 1 } END { exit !x }' "$E2E_TMP/all.txt"; then
		st=$(awk -F'\t' -v f="$frame" '$1 == f { print $2 }' "$E2E_TMP/all.txt")
		line=$(awk -F'\t' -v f="$frame" -v s="$st" '$1 > f && $5 == s { print; exit }' "$E2E_TMP/sip.txt")
		split=$((split + 1))
	fi
	case "$line" in *"$what"*"$cid"*) ;; *) bad=$((bad + 1)); echo "    event $frame $tp $what $cid vs tshark: $line" ;; esac
done <"$EV"
check "each of the $n events' frame holds its method/status and Call-ID (decrypted; $split over several records)" \
	test "$bad" -eq 0 -a "$n" -ge 20 -a "$split" -ge 1
check "the two messages of one record share its frame" test "$(awk '$2 == "rx" && ($7 == "c2a" || $7 == "c2b") { print $3 }' "$EV" | sort -u | wc -l)" -eq 1
check "events carry the Via transport and sent-by" grep -qE ' rx [0-9]+ tls \[fd00::4\]:5061 OPTIONS c4 1 TLS \[fd00::1\]:5999$' "$EV"
rst=$(awk '$2 == "note" && /TCP reset of/ { print $3; exit }' "$EV")
check "tshark: the tcp_reset frame is a RST from the peer" \
	test "$(tshark -r "$P" -Y "frame.number == ${rst:-0} && tcp.flags.reset == 1 && ip.src == 127.0.0.5" 2>/dev/null | wc -l)" -eq 1
al=$(awk '$2 == "note" && /127.0.0.14:5061\/tls: TLS handshake .* failed/ { print $3; exit }' "$EV")
check "tshark: the aborted handshake's note names the frame of the peer's alert" \
	test "$(tshark -r "$P" -Y "frame.number == ${al:-0} && tls.alert_message.desc == 40 && ip.src == 127.0.0.14" 2>/dev/null | wc -l)" -eq 1
finish
