#!/usr/bin/env bash
# valgrind memcheck over a representative subset: every kind of world (DNS faults and
# TCP retry, zone changes, UDP and TCP peers, ICMP, timers, weights), the standalone fake
# DNS under dig, lint, and the report rebuild. The harness runs under valgrind (forked
# workers are followed; the SUT runner is exec'd and is not: ASan covers it); the rate is
# 10 so timing windows hold at valgrind's speed. Fails on any error or definite leak in
# any process, since a worker's exit status is not what the run reports.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/vg"
VG=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite
    --num-callers=30 --log-file="$T/vg/%p.log")
S=scenarios/rfc3263
SUBSET=(
  "$S/4.1-transport/naptr-order-not-wire-order.lua" "$S/4.1-transport/no-naptr-srv-fallback.lua"
  "$S/4.2-address/srv-every-address-of-target.lua" "$S/4.2-address/srv-dot-not-offered.lua"
  "$S/4.3-failure/fo-icmp-next-target.lua" "$S/4.3-failure/fo-timeout-timer-b.lua"
  "$S/4.3-failure/fo-retry-after-skips-server.lua" "$S/4-transaction/txn-ack-non2xx-same-branch.lua"
  "$S/dns/dns-truncated-srv-tcp-retry.lua" "$S/dns/dns-ttl-expiry-zone-change.lua"
  "$S/dns/dns-servfail-naptr.lua"
)
fail=0
step() { # description, command...
  local d=$1; shift
  if "$@" >"$T/out" 2>&1; then echo "  ok   $d"; else echo "  FAIL $d (exit $?)"; tail -5 "$T/out"; fail=1; fi
}
step "corpus subset at rate 10" "${VG[@]}" "$SIPLOC" run -q --rate 10 --timeout 120 --out "$T/run" "${SUBSET[@]}"
step "report rebuild" "${VG[@]}" "$SIPLOC" report "$T/run"
step "lint" "${VG[@]}" "$SIPLOC" lint tests/data/lint/rfc-example.zone
# The standalone fake DNS answers dig over UDP and TCP while under valgrind.
printf '$ORIGIN v.test.\n$TTL 60\n@ IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp\n_sip._udp IN SRV 10 0 5060 a\na IN A 127.0.0.2\n' >"$T/zone"
"${VG[@]}" "$SIPLOC" dns --zone "$T/zone" --listen 127.0.0.1:0 --tcp --exit-after 60 \
  >"$T/dns.out" 2>&1 &
dpid=$!
port=
for _ in $(seq 100); do
  port=$(grep -oE '127\.0\.0\.1:[0-9]+' "$T/dns.out" | head -1 | cut -d: -f2)
  [ -n "$port" ] && break
  sleep 0.1
done
answers() { dig +short +tries=1 +time=5 -p "$port" @127.0.0.1 "$@" | grep -q .; }
step "siploc dns under dig (udp)" answers v.test NAPTR
step "siploc dns under dig (tcp)" answers +tcp _sip._udp.v.test SRV
kill -INT "$dpid" 2>/dev/null
wait "$dpid"
# Every process wrote a log; only empty ones are clean.
for f in "$T"/vg/*.log; do
  if [ -s "$f" ]; then echo "valgrind report ($f):"; cat "$f"; fail=1; fi
done
n=$(ls "$T"/vg/*.log | wc -l)
# The parent, a worker per scenario, report, lint and dns: fewer means valgrind saw less.
[ "$n" -ge 14 ] || { echo "  FAIL only $n processes ran under valgrind"; fail=1; }
echo "valgrind: $n processes, $( [ "$fail" -eq 0 ] && echo clean || echo 'REPORTS or failures above')"
exit "$fail"
