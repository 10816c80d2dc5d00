#!/usr/bin/env bash
# bench/sip.sh: how fast siploc's SIP peers answer, next to SIPp's own UAS, in one run.
# SIPp as UAC sends as fast as it can (at most LIMIT calls open) against:
#   - a siploc peer answering every request 200 (SIPp's built-in uac: INVITE/ACK/BYE),
#     and SIPp's built-in uas doing the same;
#   - a siploc peer answering 503 (OPTIONS, Retry-After: 60), and a SIPp UAS doing that.
# Prints requests/s (requests answered: INVITE+BYE per call, or one OPTIONS) for both and
# the ratio siploc/SIPp. Runs in a private network namespace; not part of make check.
# Usage: bench/sip.sh [CALLS] [transport u1|t1]   (BUILD=build by default; l1, TLS, needs a
# SIPp built with OpenSSL, which Debian's sip-tester is not)
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
CALLS=${1:-20000}
TP=${2:-u1}
LIMIT=${LIMIT:-50}
BIN=$BUILD/tests/peer_driver

if [ "${SIPLOC_IN_NS:-}" != 1 ]; then
	SRCS=(tests/e2e/peer_driver.c harness/sl_peer.c harness/sl_peer_tcp.c harness/sl_netfault.c
	      harness/sl_sipmsg.c harness/sl_loop.c harness/sl_evlog.c harness/sl_addr.c
	      harness/sl_clock.c harness/sl_capture.c harness/sl_tls.c)
	mkdir -p "$BUILD/tests" /tmp
	# -O2 as the Makefile builds siploc: a benchmark of -O1 code would mislead.
	# shellcheck disable=SC2046
	gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I. -Iharness "${SRCS[@]}" \
		$(pkg-config --cflags --libs libpcap openssl) -lm -o "$BIN.bench" || exit 2
	command -v sipp >/dev/null || { echo "sipp missing (scripts/deps.sh)"; exit 2; }
	case $TP in u1|t1) ;;
	l1) echo "bench/sip.sh: no TLS row: this SIPp ($(sipp -v 2>&1 | grep -o 'v[0-9][^ ]*' | head -1)) is built without" \
		 "TLS ('To use a TLS transport you must compile SIPp with OpenSSL'); see docs/performance.md" >&2
	    exit 2 ;;
	*) echo "bench/sip.sh: transport must be u1 or t1 (l1: TLS, needs a SIPp built with OpenSSL)" >&2; exit 2 ;;
	esac
	SIPLOC_IN_NS=1 exec unshare -rn bash "$0" "$@"
fi

ip link set lo up
T=$(mktemp -d)
DRV=
UAS=
trap '[ -n "$DRV" ] && kill "$DRV" 2>/dev/null; [ -n "$UAS" ] && kill "$UAS" 2>/dev/null; rm -rf "$T"' EXIT

cat >"$T/uac-options.xml" <<'EOF'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uac-options-503">
  <send><![CDATA[
OPTIONS sip:bob@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@[local_ip]:[local_port]>;tag=[call_number]
To: <sip:bob@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="503"/>
</scenario>
EOF
cat >"$T/uas-503.xml" <<'EOF'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uas-503">
  <recv request="OPTIONS"/>
  <send><![CDATA[
SIP/2.0 503 Service Unavailable
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Retry-After: 60
Content-Length: 0

]]></send>
</scenario>
EOF

# run_uac NAME TARGET ARGS...: SIPp as fast as it goes; prints calls per second.
run_uac() {
	local name=$1 target=$2
	shift 2
	local t0 t1
	t0=$(date +%s.%N)
	timeout 300 sipp "$target" -t "$TP" -i 127.0.0.1 -p 5070 -m "$CALLS" -r 100000 -l "$LIMIT" \
		-recv_timeout 2000 -nostdin -trace_stat -stf "$T/$name.csv" "$@" >/dev/null 2>&1
	local rc=$?
	t1=$(date +%s.%N)
	local ok
	ok=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "SuccessfulCall(C)") c = i }
		END { print c ? $c : 0 }' "$T/$name.csv")
	# Only successful calls count; a call whose message was lost fails after 2 s
	# (-recv_timeout) instead of hanging, and is reported.
	if [ "$rc" -ne 0 ] || [ "$ok" -ne "$CALLS" ]; then
		echo "  note: $name: SIPp exit $rc, $ok of $CALLS calls successful" >&2
	fi
	[ "$ok" -gt 0 ] || { echo "$name: no call succeeded" >&2; exit 1; }
	awk -v n="$ok" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", n / (b - a) }'
}

start_peer() {
	PEER_DRIVER_NOCAP=1 "$BIN.bench" 600 "$T" "$@" >"$T/ready" 2>"$T/drv.err" &
	DRV=$!
	for _ in $(seq 100); do grep -q ready "$T/ready" 2>/dev/null && break; sleep 0.05; done
}
stop_peer() { kill "$DRV"; wait "$DRV" 2>/dev/null; DRV=; }
start_uas() {
	sipp -t "$TP" -i 127.0.0.3 -p 5060 -nostdin "$@" >/dev/null 2>&1 &
	UAS=$!
	sleep 0.5
}
stop_uas() { kill "$UAS"; wait "$UAS" 2>/dev/null; UAS=; }
tpname=$([ "$TP" = t1 ] && echo tcp || echo udp)

start_peer "127.0.0.2:5060/$tpname"
s200=$(run_uac siploc-200 127.0.0.2:5060 -sn uac) || exit 1
stop_peer
start_uas -sn uas
p200=$(run_uac sipp-200 127.0.0.3:5060 -sn uac) || exit 1
stop_uas
start_peer "127.0.0.2:5060/$tpname=default:503+Retry-After: 60"
s503=$(run_uac siploc-503 127.0.0.2:5060 -sf "$T/uac-options.xml") || exit 1
stop_peer
start_uas -sf "$T/uas-503.xml"
p503=$(run_uac sipp-503 127.0.0.3:5060 -sf "$T/uac-options.xml") || exit 1
stop_uas

# Requests answered: INVITE and BYE per call (the ACK gets no answer); one OPTIONS.
printf '%-34s %12s %12s %7s\n' "SIP over $tpname, $CALLS calls" "siploc req/s" "SIPp req/s" ratio
awk -v s="$s200" -v p="$p200" 'BEGIN { printf "%-34s %12.0f %12.0f %7.2f\n", "200 (INVITE/ACK/BYE)", 2 * s, 2 * p, s / p }'
awk -v s="$s503" -v p="$p503" 'BEGIN { printf "%-34s %12.0f %12.0f %7.2f\n", "503 + Retry-After (OPTIONS)", s, p, s / p }'
