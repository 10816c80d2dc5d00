#!/usr/bin/env bash
# exec_sip_client.sh URI METHOD: the smallest RFC 3263 client, for the exec adapter's test
# (--sut exec:'bash tests/e2e/exec_sip_client.sh {uri} {method}'): SRV _sip._udp of the
# URI's host through the fake DNS ($SIPLOC_DNS_ADDR; kdig, since dig clashes with
# libfaketime), A of the best target, one request over UDP, then "status NNN" from the
# response. No retransmissions: loopback only.
set -u
uri=$1 method=$2
host=${uri#*@}
host=${host%%[;?>]*}
dns=(@"$SIPLOC_DNS_ADDR" -p "$SIPLOC_DNS_PORT" +short +time=30 +retry=0)
srv=$(kdig "${dns[@]}" SRV "_sip._udp.$host" | sort -n -k1,1 | head -1)
[ -n "$srv" ] || { echo "error no-target"; exit 0; }
read -r _ _ port target <<<"$srv"
addr=$(kdig "${dns[@]}" A "${target%.}" | head -1)
[ -n "$addr" ] || { echo "error dns"; exit 0; }
branch=z9hG4bK$RANDOM$RANDOM
msg="$method $uri SIP/2.0\r
Via: SIP/2.0/UDP $SIPLOC_BIND_ADDR;rport;branch=$branch\r
Max-Forwards: 70\r
From: <sip:exec@siploc.test>;tag=$RANDOM\r
To: <$uri>\r
Call-ID: exec-$RANDOM$RANDOM@siploc.test\r
CSeq: 1 $method\r
Content-Length: 0\r
\r
"
exec 3<>"/dev/udp/$addr/$port" || { echo "error transport"; exit 0; }
# One write, one datagram: the external printf (bash's builtin writes line by line).
env printf "$msg" >&3
# One datagram, whole (bash's read would take it byte by byte, losing the rest).
resp=$(timeout 10 dd bs=65535 count=1 <&3 2>/dev/null | head -1)
code=$(sed -n 's/^SIP\/2\.0 \([0-9][0-9][0-9]\).*/\1/p' <<<"$resp")
if [ -n "$code" ]; then echo "status $code"; else echo "error timeout"; fi
