#!/usr/bin/env bash
# exec_stray_client.sh URI METHOD [PORT_OFFSET]: a client for numeric URIs that sends where
# nothing listens, for test_strays.sh (--sut exec:'bash ... {uri} {method}'): over UDP one
# request datagram to the URI's host and port (plus PORT_OFFSET: a seeded bug, the wrong
# port), over TCP (transport=tcp) a connection attempt; prints the outcome.
set -u
uri=$1 method=$2 off=${3:-0}
hp=${uri#*@}
hp=${hp%%[;?>]*}
host=${hp%%:*}
port=5060
[ "$hp" != "$host" ] && port=${hp#*:}
port=$((port + off))
if [[ $uri == *";transport=tcp"* ]]; then
  if exec 3<>"/dev/tcp/$host/$port"; then echo "error timeout"; else echo "error transport"; fi
  exit 0
fi
msg="$method $uri SIP/2.0\r
Via: SIP/2.0/UDP $SIPLOC_BIND_ADDR;rport;branch=z9hG4bK$RANDOM$RANDOM\r
Max-Forwards: 70\r
From: <sip:stray@siploc.test>;tag=$RANDOM\r
To: <$uri>\r
Call-ID: stray-$RANDOM$RANDOM@siploc.test\r
CSeq: 1 $method\r
Content-Length: 0\r
\r
"
exec 3<>"/dev/udp/$host/$port" || { echo "error transport"; exit 0; }
env printf "$msg" >&3
# The kernel's ICMP port unreachable turns the next read into ECONNREFUSED.
if read -r -t 1 -u 3 line; then echo "status ${line#SIP/2.0 }" | cut -c1-10; else echo "error transport"; fi
