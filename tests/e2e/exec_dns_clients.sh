#!/usr/bin/env bash
# exec_dns_clients.sh: an exec "SUT" for test_fdns_scenario.sh that is only DNS clients:
# kdig and dig ask the in-scenario fake DNS ($SIPLOC_DNS_ADDR:$SIPLOC_DNS_PORT, in the
# scenario's namespace) for every record type, over TCP (several queries on one
# connection), with EDNS and truncation, and for each name the scenario gave a fault.
# Each output line goes to the scenario log tagged "kdig CASE:" or "dig CASE:"; the last
# line is "status 200". kdig runs on the fake clock, where its timeout of 30 s is 0.3 s
# of real time at the default rate; dig clashes with libfaketime (it hangs in
# clock_gettime), so it runs without the preload, on the real clock.
set -u
srv=(@"$SIPLOC_DNS_ADDR" -p "$SIPLOC_DNS_PORT" +norec)
k() { # CASE KDIG-ARGS...
	local c=$1
	shift
	kdig "${srv[@]}" +retry=0 +time=30 "$@" 2>&1 | sed "s/^/kdig $c: /"
}
d() { # CASE DIG-ARGS...
	local c=$1
	shift
	env -u LD_PRELOAD dig "${srv[@]}" +tries=1 +time=1 "$@" 2>&1 | sed "s/^/dig $c: /"
}
# The clients that must time out wait side by side, while the rest runs (dig's shortest
# timeout is a second).
for f in wrong-id wrong-port drop; do
	d "$f" "$f.example.test" A &
	k "$f" "$f.example.test" A &
done
k type-NAPTR example.test NAPTR
k type-SRV _sip._udp.example.test SRV
k type-A sip1.example.test A
k type-AAAA sip1.example.test AAAA
k type-CNAME alias.example.test CNAME
k type-SOA example.test SOA
k type-NS example.test NS
k type-TXT txt.example.test TXT
k type-GENERIC gen.example.test TYPE65534
k nodata sip1.example.test TXT
k nxdomain-real nope.example.test A
k tcp-keepopen +tcp +keepopen sip1.example.test A example.test NAPTR _sip._udp.example.test SRV
k edns +bufsize=4096 _sip._udp.big.example.test SRV
k big-ignore +ignore +noedns _sip._udp.big.example.test SRV
k big-retry +noedns _sip._udp.big.example.test SRV
# kdig lowercases the name it sends: the 0x20 echo is dig's to see
d case0x20 SiP1.ExAmPlE.tEsT A
for f in servfail nxdomain refused notimp delay ttl0 bad-pointer truncated-rdata; do
	k "$f" "$f.example.test" A
	d "$f" "$f.example.test" A
done
# drop and truncate apply twice (times = 2): to kdig's query and dig's
wait
d drop-after drop.example.test A
k truncate-ignore +ignore truncate.example.test A
d truncate-retry truncate.example.test A
echo "status 200"
