#!/usr/bin/env bash
# test_fdns_dig.sh: the fake DNS against real clients (dig, kdig): record types, negative
# answers, case echo, TCP, truncation and the TCP retry, served by `siploc dns`. Exits non-zero at the first failure.
set -u
cd "$(dirname "$0")/../.." || exit 1

BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
pass=0

die() {
	echo "fdns_dig: FAIL: $1"
	echo "fdns_dig: $pass passed, 1 failed"
	exit 1
}

[ -x "$SIPLOC" ] || die "$SIPLOC not built (make all)"
for tool in dig kdig; do
	command -v $tool >/dev/null || die "$tool not installed (scripts/deps.sh installs it)"
done

TMP=$(mktemp -d)
SRV_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

{
	cat <<'EOF'
$ORIGIN example.test.
$TTL 300
@       IN SOA ns1 hostmaster ( 1 3600 600 86400
                60 )
        IN NS ns1
ns1     IN A 192.0.2.53
@       IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp
        IN NAPTR 20 50 "s" "SIP+D2T" "" _sip._tcp
_sip._udp IN SRV 10 60 5060 sip1
_sip._udp IN SRV 20 40 5060 sip2
sip1    IN A 192.0.2.1
sip1    IN AAAA 2001:db8::1
sip2    IN A 192.0.2.2
alias   IN CNAME sip1
txt     IN TXT "hello world"
EOF
	for i in $(seq 0 39); do
		printf '_sip._udp.big IN SRV %d 10 5060 host%02d.example.test.\n' "$i" "$i"
	done
} >"$TMP/zone"

# Port 0: the kernel picks a free one, which the banner tells.
"$SIPLOC" dns --zone "$TMP/zone" --listen 127.0.0.1:0 --tcp --log --exit-after 60 \
	>"$TMP/out" 2>"$TMP/log" &
SRV_PID=$!
PORT=
for _ in $(seq 100); do
	PORT=$(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$TMP/out")
	[ -n "$PORT" ] && break
	kill -0 "$SRV_PID" 2>/dev/null || break
	sleep 0.02
done
[ -n "$PORT" ] || die "siploc dns did not start: $(cat "$TMP/log")"

DIG=(dig @127.0.0.1 -p "$PORT" +norec +time=2 +tries=1)
KDIG=(kdig @127.0.0.1 -p "$PORT" +norec +time=2 +retry=0)

# expect NAME REGEX [COUNT]: the last output holds REGEX (exactly COUNT lines when given).
expect() {
	local n
	n=$(grep -Ec -- "$2" <<<"$OUT")
	if { [ $# -ge 3 ] && [ "$n" != "$3" ]; } || { [ $# -lt 3 ] && [ "$n" = 0 ]; }; then
		echo "--- output of: $CMD"
		echo "$OUT"
		echo "--- server log (last lines)"
		tail -5 "$TMP/log"
		die "$1: wanted ${3:-some} line(s) matching /$2/, got $n"
	fi
	pass=$((pass + 1))
}
run() {
	CMD="$*"
	OUT=$("$@" 2>&1)
}

S='[[:space:]]+'

run "${DIG[@]}" example.test NAPTR
expect "dig NAPTR status" 'status: NOERROR'
expect "dig NAPTR flags" 'flags: qr aa;'
expect "dig NAPTR answer" "^example\.test\.${S}300${S}IN${S}NAPTR${S}10 50 \"s\" \"SIP\+D2U\" \"\" _sip\._udp\.example\.test\.$"
expect "dig NAPTR count" "IN${S}NAPTR${S}" 2

run "${DIG[@]}" _sip._udp.example.test SRV
expect "dig SRV answer" "^_sip\._udp\.example\.test\.${S}300${S}IN${S}SRV${S}10 60 5060 sip1\.example\.test\.$"
expect "dig SRV count" "IN${S}SRV${S}" 2

run "${DIG[@]}" sip1.example.test A
expect "dig A" "^sip1\.example\.test\.${S}300${S}IN${S}A${S}192\.0\.2\.1$"

run "${DIG[@]}" sip1.example.test AAAA
expect "dig AAAA" "^sip1\.example\.test\.${S}300${S}IN${S}AAAA${S}2001:db8::1$"

run "${DIG[@]}" example.test NS
expect "dig NS" "^example\.test\.${S}300${S}IN${S}NS${S}ns1\.example\.test\.$"

run "${DIG[@]}" example.test SOA
expect "dig SOA" "^example\.test\.${S}300${S}IN${S}SOA${S}ns1\.example\.test\. hostmaster\.example\.test\. 1 3600 600 86400 60$"

run "${DIG[@]}" alias.example.test CNAME
expect "dig CNAME" "^alias\.example\.test\.${S}300${S}IN${S}CNAME${S}sip1\.example\.test\.$"

run "${DIG[@]}" alias.example.test A
expect "dig A via CNAME: cname" "^alias\.example\.test\.${S}300${S}IN${S}CNAME${S}sip1\.example\.test\.$"
expect "dig A via CNAME: target" "^sip1\.example\.test\.${S}300${S}IN${S}A${S}192\.0\.2\.1$"

run "${DIG[@]}" txt.example.test TXT
expect "dig TXT" "^txt\.example\.test\.${S}300${S}IN${S}TXT${S}\"hello world\"$"

run "${DIG[@]}" nope.example.test A
expect "dig NXDOMAIN status" 'status: NXDOMAIN'
expect "dig NXDOMAIN SOA" "^example\.test\.${S}300${S}IN${S}SOA${S}ns1\.example\.test\. hostmaster"

run "${DIG[@]}" sip2.example.test AAAA
expect "dig NODATA status" 'status: NOERROR'
expect "dig NODATA counts" 'ANSWER: 0, AUTHORITY: 1,'

run "${DIG[@]}" ExAmPlE.TeSt NAPTR
expect "dig 0x20 question" "^;ExAmPlE\.TeSt\.${S}IN${S}NAPTR$"
expect "dig 0x20 answer" "^ExAmPlE\.TeSt\.${S}300${S}IN${S}NAPTR${S}" 2

run "${DIG[@]}" +tcp _sip._udp.example.test SRV
expect "dig +tcp SRV" "IN${S}SRV${S}20 40 5060 sip2\.example\.test\.$"
expect "dig +tcp over TCP" '\(TCP\)'

run "${DIG[@]}" +ignore +noedns _sip._udp.big.example.test SRV
expect "dig truncated flags" 'flags: qr aa tc;'
expect "dig truncated empty" 'ANSWER: 0,'

run "${DIG[@]}" _sip._udp.big.example.test SRV
expect "dig TCP retry" 'Truncated, retrying in TCP mode'
expect "dig TCP retry answers" "^_sip\._udp\.big\.example\.test\.${S}300${S}IN${S}SRV${S}" 40

run "${DIG[@]}" +bufsize=4096 _sip._udp.big.example.test SRV
expect "dig EDNS 4096 no truncation" 'flags: qr aa;'
expect "dig EDNS 4096 OPT echoed" 'EDNS: version: 0'
expect "dig EDNS 4096 answers" "IN${S}SRV${S}" 40

run "${KDIG[@]}" example.test NAPTR
expect "kdig NAPTR status" 'status: NOERROR'
expect "kdig NAPTR answer" "^example\.test\.${S}300${S}IN${S}NAPTR${S}20 50 \"s\" \"SIP\+D2T\" \"\" _sip\._tcp\.example\.test\.$"

run "${KDIG[@]}" +tcp sip1.example.test AAAA
expect "kdig +tcp AAAA" "^sip1\.example\.test\.${S}300${S}IN${S}AAAA${S}2001:db8::1$"
expect "kdig +tcp over TCP" '\(TCP\)'

run "${KDIG[@]}" nope.example.test SRV
expect "kdig NXDOMAIN" 'status: NXDOMAIN'

run "${KDIG[@]}" _sip._udp.big.example.test SRV
expect "kdig TCP retry answers" "IN${S}SRV${S}" 40

# Several queries on one TCP connection: kdig keeps it open for the next one...
run "${KDIG[@]}" +tcp +keepopen sip1.example.test A example.test NAPTR txt.example.test TXT
expect "kdig +keepopen: three answers over TCP" 'From 127\.0\.0\.1@[0-9]+\(TCP\)' 3
expect "kdig +keepopen: the third one" "IN${S}TXT${S}\"hello world\"$"

# ...and a client that pipelines (RFC 7766 6.2.1.1): three framed queries in one write
# before it reads anything, then three framed answers back.
dnsq() { # ID NAME QTYPE: printf escapes of one frame (length prefix, query)
	local q l len=17 labels
	IFS=. read -ra labels <<<"$2"
	q=$(printf '\\x%02x\\x%02x\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00' $(($1 >> 8)) $(($1 & 255)))
	for l in "${labels[@]}"; do
		q+=$(printf '\\x%02x' ${#l})$l
		len=$((len + ${#l} + 1))
	done
	q+=$(printf '\\x00\\x00\\x%02x\\x00\\x01' "$3")
	printf '\\x%02x\\x%02x%s' $((len >> 8)) $((len & 255)) "$q"
}
answers=""
if exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then
	printf "$(dnsq 4097 sip1.example.test 1)$(dnsq 4098 nope.example.test 1)$(dnsq 4099 sip1.example.test 28)" >&3
	for _ in 1 2 3; do
		read -r a b < <(dd bs=1 count=2 <&3 2>/dev/null | od -An -tu1)
		body=$(dd bs=1 count=$((a * 256 + b)) <&3 2>/dev/null | od -An -tx1 | tr -d ' \n')
		answers+="${body:0:4}/$((0x${body:6:2} & 15)) "
	done
	exec 3>&-
fi
OUT=$answers
CMD="pipelined TCP client"
expect "pipelined: three answers, IDs and rcodes" '^1001/0 1002/3 1003/0 $'

# the server saw it all, over both transports, with the asker's spelling
OUT=$(cat "$TMP/log")
CMD="server log"
expect "log UDP 0x20 qname" '^udp 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:[0-9]+ id=[0-9]+ qname=ExAmPlE\.TeSt qtype=NAPTR rcode=0 an=2 tc=0'
expect "log TCP query" '^tcp 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:[0-9]+ .* rcode=0 an=40 tc=0'
expect "log truncation" '^udp .*qname=_sip\._udp\.big\.example\.test qtype=SRV rcode=0 an=0 tc=1'
expect "log NXDOMAIN" 'qname=nope\.example\.test qtype=A rcode=3 '
kport=$(sed -n 's/^tcp 127\.0\.0\.1:\([0-9]*\) .* id=4097 .*/\1/p' "$TMP/log")
[ -n "$kport" ] || die "log: no pipelined query"
expect "log: the pipelined three on one connection" "^tcp 127\.0\.0\.1:$kport -> .* id=409[789] " 3

echo "fdns_dig: $pass passed, 0 failed"
