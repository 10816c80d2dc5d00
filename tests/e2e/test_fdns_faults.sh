#!/usr/bin/env bash
# test_fdns_faults.sh: `siploc dns` (the standalone fake DNS) against dig and kdig: each
# fault as a real client sees it, RFC 3597 data, the additional section, RRset shuffle,
# and the command's own errors (bad zone file:line, bad flags, non-loopback, SIGINT).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

SRV_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	rm -rf "$E2E_TMP"
}
trap cleanup EXIT

for tool in dig kdig; do
	command -v $tool >/dev/null || { bad "$tool not installed (scripts/deps.sh)"; finish; exit 1; }
done

cat >"$E2E_TMP/zone" <<'EOF'
$ORIGIN example.test.
$TTL 300
@       IN SOA ns1 hostmaster 1 3600 600 86400 60
@       IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp
_sip._udp IN SRV 10 60 5060 sip1
_sip._udp IN SRV 20 40 5060 sip2
sip1    IN A 192.0.2.1
sip1    IN AAAA 2001:db8::1
sip2    IN A 192.0.2.2
gen     IN TYPE65534 \# 4 0a000001
multi   IN A 192.0.2.11
multi   IN A 192.0.2.12
multi   IN A 192.0.2.13
multi   IN A 192.0.2.14
EOF

# start ARGS...: runs siploc dns on a free port (port 0, read back from its banner).
start() {
	# Emptied here, not by the redirection below: that happens in the background, and the
	# loop could read the port of the previous, stopped server first.
	: >"$E2E_TMP/out"
	"$SIPLOC" dns --zone "$E2E_TMP/zone" --listen 127.0.0.1:0 --log --exit-after 120 "$@" \
		>"$E2E_TMP/out" 2>"$E2E_TMP/log" &
	SRV_PID=$!
	PORT=
	for _ in $(seq 100); do
		PORT=$(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$E2E_TMP/out")
		[ -n "$PORT" ] && break
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.02
	done
	[ -n "$PORT" ] || { bad "siploc dns did not start: $(cat "$E2E_TMP/log")"; finish; exit 1; }
	DIG=(dig @127.0.0.1 -p "$PORT" +norec +time=1 +tries=1)
	KDIG=(kdig @127.0.0.1 -p "$PORT" +norec +time=1 +retry=0)
}
stop() {
	kill -INT "$SRV_PID"
	wait "$SRV_PID"
	STOP_RC=$?
	SRV_PID=
}

# has "description" REGEX [COUNT]: the last output ($OUT) has lines matching (COUNT of them).
has() {
	local n
	n=$(grep -Ec -- "$2" <<<"$OUT")
	if { [ $# -ge 3 ] && [ "$n" = "$3" ]; } || { [ $# -lt 3 ] && [ "$n" != 0 ]; }; then
		ok "$1"
	else
		bad "$1: wanted ${3:-some} line(s) matching /$2/, got $n"
		sed 's/^/       | /' <<<"$OUT" | head -20
	fi
}
q() { OUT=$("$@" 2>&1); }
S='[[:space:]]+'

start --tcp --additional \
	--fault servfail,name=example.test,type=NAPTR,nth=2 \
	--fault nxdomain,name=nx.example.test \
	--fault refused,name=refused.example.test \
	--fault notimp,name=notimp.example.test \
	--fault drop,name=drop.example.test,times=2 \
	--fault delay,name=sip2.example.test,type=A,delay=0.3 \
	--fault truncate,name=tc.example.test \
	--fault wrong-id,name=sip1.example.test,type=AAAA \
	--fault wrong-port,name=wp.example.test \
	--fault bad-pointer,name=bp.example.test \
	--fault truncated-rdata,name=_sip._udp.example.test,transport=udp \
	--fault ttl0,name=sip1.example.test,type=A

# The faults that leave a client waiting for its timeout (a second at least) wait side by
# side: both clients at once, each output to its own file.
BG_PIDS=()
bg() { # FILE CMD...
	local f=$1
	shift
	"$@" >"$E2E_TMP/$f" 2>&1 &
	BG_PIDS+=($!)
}
bg dig-drop "${DIG[@]}" drop.example.test A
bg kdig-drop "${KDIG[@]}" drop.example.test A
bg dig-wid "${DIG[@]}" sip1.example.test AAAA
bg kdig-wid "${KDIG[@]}" sip1.example.test AAAA
bg dig-wp "${DIG[@]}" wp.example.test A
bg kdig-wp "${KDIG[@]}" wp.example.test A

echo "-- faults, as dig and kdig see them"
q "${DIG[@]}" example.test NAPTR
has "1st NAPTR answered" 'status: NOERROR'
q "${DIG[@]}" example.test NAPTR
has "2nd NAPTR: servfail (nth=2)" 'status: SERVFAIL'
has "servfail carries no records" 'ANSWER: 0, AUTHORITY: 0'
q "${KDIG[@]}" example.test NAPTR
has "3rd NAPTR answered again" 'status: NOERROR'
for C in DIG KDIG; do
	c=$(tr '[:upper:]' '[:lower:]' <<<"$C")
	declare -n CL=$C
	q "${CL[@]}" nx.example.test A
	has "$c: nxdomain" 'status: NXDOMAIN'
	has "$c: nxdomain has the SOA (RFC 2308)" "^example\.test\.${S}300${S}IN${S}SOA"
	q "${CL[@]}" refused.example.test A
	has "$c: refused" 'status: REFUSED'
	q "${CL[@]}" notimp.example.test A
	has "$c: notimp" 'status: NOTIMP'
	q "${CL[@]}" +time=5 sip2.example.test A
	has "$c: delay: the answer comes, late" "^sip2\.example\.test\.${S}300${S}IN${S}A${S}192\.0\.2\.2$"
	q "${CL[@]}" +ignore tc.example.test A
	has "$c: truncate: TC set" 'flags: qr aa tc;|Flags: qr aa tc;'
	q "${CL[@]}" tc.example.test A
	has "$c: truncate: retried over TCP" 'Truncated, retrying in TCP mode|truncated reply .* retrying over TCP'
	has "$c: truncate: TCP is not truncated" 'status: NXDOMAIN'
	q "${CL[@]}" bp.example.test A
	has "$c: bad-pointer" 'bad compression pointer|malformed reply packet'
	q "${CL[@]}" _sip._udp.example.test SRV
	has "$c: truncated-rdata" 'malformed|unexpected end of input'
	q "${CL[@]}" +tcp _sip._udp.example.test SRV
	has "$c: truncated-rdata only on UDP: TCP answers" "IN${S}SRV${S}10 60 5060 sip1\.example\.test\.$"
	has "$c: additional: SRV targets' addresses" "^sip1\.example\.test\.${S}300${S}IN${S}AAAA${S}2001:db8::1$"
	q "${CL[@]}" sip1.example.test A
	has "$c: ttl0" "^sip1\.example\.test\.${S}0${S}IN${S}A${S}192\.0\.2\.1$"
	q "${CL[@]}" gen.example.test TYPE65534
	has "$c: RFC 3597 generic data" '\\# 4 0A000001'
done

wait_bg() { # FILE: its output as $OUT once the clients are done (not the server)
	[ ${#BG_PIDS[@]} -gt 0 ] && wait "${BG_PIDS[@]}"
	BG_PIDS=()
	OUT=$(cat "$E2E_TMP/$1")
}
for c in dig kdig; do
	wait_bg $c-drop
	has "$c: drop: no answer" 'timed out|no servers could be reached|response timeout'
	wait_bg $c-wid
	has "$c: wrong-id: the ID is noticed" 'ID mismatch|is different from query ID'
	has "$c: wrong-id: and never accepted" 'timed out|no servers could be reached|response timeout'
	wait_bg $c-wp
	has "$c: wrong-port: the client's socket never takes it" 'timed out|no servers could be reached|response timeout'
done
q "${DIG[@]}" drop.example.test A
has "drop times=2: the third query is answered" 'status: NXDOMAIN'

# Ctrl-C while a TCP connection is open and its delayed answer still pending: a clean stop
# all the same (make asan would see anything left behind).
"${KDIG[@]}" +tcp +time=3 sip2.example.test A >"$E2E_TMP/pending" 2>&1 &
PENDING=$!
for _ in $(seq 100); do
	grep -q '^tcp .*qname=sip2\.example\.test .*fault=delay' "$E2E_TMP/log" && break
	sleep 0.02
done
stop
wait "$PENDING"
has_log() { OUT=$(cat "$E2E_TMP/log"); has "$@"; }
echo "-- the query log says what was really sent"
has_log "log: servfail" 'qname=example\.test qtype=NAPTR rcode=2 an=0 tc=0 .* fault=servfail'
has_log "log: drop, no answer" 'qname=drop\.example\.test qtype=A rcode=-1 .* fault=drop'
has_log "log: delay" 'qname=sip2\.example\.test qtype=A rcode=0 an=1 .* fault=delay delay=0\.300s'
has_log "log: truncate" 'udp .*qname=tc\.example\.test qtype=A rcode=3 an=0 tc=1 .* fault=truncate'
has_log "log: TCP retry unharmed" '^tcp .*qname=tc\.example\.test qtype=A rcode=3 '
has_log "log: wrong-port, and the port it answered from" 'qname=wp\.example\.test .* fault=wrong-port from=127\.0\.0\.1:[0-9]+$'
wp=$(sed -n 's/.*qname=wp\.example\.test .* from=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$E2E_TMP/log" | sort -u)
[ -n "$wp" ] && [ "$wp" != "$PORT" ] && ok "wrong-port: from port $wp, not $PORT" || bad "wrong-port: from '$wp'"
grep -q "unexpected reply source 127\.0\.0\.1@$wp(UDP)" "$E2E_TMP/kdig-wp" &&
	ok "kdig saw the answer come from port $wp" || bad "kdig: $(cat "$E2E_TMP/kdig-wp")"
has_log "log: bad-pointer" 'qname=bp\.example\.test .* fault=bad-pointer'
has_log "log: truncated-rdata" 'qname=_sip\._udp\.example\.test .* fault=truncated-rdata'
has_log "log: ttl0" 'qname=sip1\.example\.test qtype=A rcode=0 an=1 .* fault=ttl0'
has_log "the pending TCP query was in" '^tcp .*qname=sip2\.example\.test .*fault=delay'
has_log "SIGINT stops it" 'stopped by SIGINT'
[ "$STOP_RC" = 0 ] && ok "exit 0 after SIGINT" || bad "exit $STOP_RC after SIGINT"

echo "-- shuffle, UDP only without --tcp"
start --shuffle --seed 7
orders=""
for _ in 1 2 3 4 5 6; do
	q "${DIG[@]}" +short multi.example.test A
	orders+="$(tr '\n' ' ' <<<"$OUT")|"
done
n=$(tr '|' '\n' <<<"$orders" | sed '/^$/d' | sort -u | wc -l)
[ "$n" -gt 1 ] && ok "shuffle: $n different orders in 6 answers" || bad "shuffle: one order: $orders"
q "${DIG[@]}" +tcp sip1.example.test A
has "no --tcp: TCP refused" 'connection refused|communications error|no servers'
kill -TERM "$SRV_PID"; wait "$SRV_PID"; rc=$?; SRV_PID=
[ "$rc" = 0 ] && ok "exit 0 after SIGTERM" || bad "exit $rc after SIGTERM"

echo "-- errors"
printf '$ORIGIN bad.test.\n@ IN A 192.0.2.1\n\nx IN A 300.1.1.1\n' >"$E2E_TMP/bad.zone"
expect_exit 2 "bad zone file" "$SIPLOC" dns --zone "$E2E_TMP/bad.zone" --listen 127.0.0.1:0
check "bad zone names file:line" grep -q "bad.zone:4: " "$E2E_TMP/last.err"
expect_exit 2 "missing zone file" "$SIPLOC" dns --zone "$E2E_TMP/none.zone" --listen 127.0.0.1:0
expect_exit 2 "no --zone" "$SIPLOC" dns
expect_exit 2 "non-loopback address refused" "$SIPLOC" dns --zone "$E2E_TMP/zone" --listen 192.0.2.1:5353
expect_exit 2 "unknown fault action" "$SIPLOC" dns --zone "$E2E_TMP/zone" --fault explode
expect_exit 2 "fault key without value" "$SIPLOC" dns --zone "$E2E_TMP/zone" --fault drop,nth
expect_exit 2 "delay without delay=" "$SIPLOC" dns --zone "$E2E_TMP/zone" --fault delay
finish
