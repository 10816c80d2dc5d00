#!/usr/bin/env bash
# exec_tls_client.sh URI METHOD CA: a minimal sips: client for the exec adapter
# (--sut exec:'bash tests/e2e/exec_tls_client.sh {uri} {method} {ca}'): SRV _sips._tcp of
# the URI's host through the fake DNS (kdig), A of the best target, then one request over
# TLS with openssl s_client, which checks the peer's certificate against the CA siploc
# handed the SUT and against the URI's domain (RFC 5922 7.2), and sends SNI for it.
# The target's A, else its AAAA.
# Prints "status NNN", or "error transport" when the handshake (verification) fails.
set -u
uri=$1 method=$2 ca=$3
host=${uri#*@}
host=${host%%[;?>:]*}
dns=(@"$SIPLOC_DNS_ADDR" -p "$SIPLOC_DNS_PORT" +short +time=30 +retry=0)
srv=$(kdig "${dns[@]}" SRV "_sips._tcp.$host" | sort -n -k1,1 | head -1)
[ -n "$srv" ] || { echo "error no-target"; exit 0; }
read -r _ _ port target <<<"$srv"
addr=$(kdig "${dns[@]}" A "${target%.}" | head -1)
[ -n "$addr" ] || addr=$(kdig "${dns[@]}" AAAA "${target%.}" | head -1)
[ -n "$addr" ] || { echo "error dns"; exit 0; }
case $addr in *:*) addr="[$addr]" ;; esac
[ -s "$ca" ] || { echo "no CA file given: '$ca'"; echo "error internal"; exit 0; }
dir=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
mkfifo "$dir/in"
openssl s_client -connect "$addr:$port" -CAfile "$ca" -verify_return_error \
	-verify_hostname "$host" -servername "$host" -quiet -no_ign_eof \
	<"$dir/in" >"$dir/out" 2>"$dir/err" &
pid=$!
exec 3>"$dir/in"
branch=z9hG4bK$RANDOM$RANDOM
env printf "$method $uri SIP/2.0\r
Via: SIP/2.0/TLS $SIPLOC_BIND_ADDR;branch=$branch\r
Max-Forwards: 70\r
From: <sip:exec@siploc.test>;tag=$RANDOM\r
To: <$uri>\r
Call-ID: exectls-$RANDOM$RANDOM@siploc.test\r
CSeq: 1 $method\r
Content-Length: 0\r
\r
" >&3
# On the SUT's clock: 1 s here is 1/R s of real time; allow ~5 s real at R = 100.
for _ in $(seq 500); do
	code=$(sed -n 's/^SIP\/2\.0 \([2-6][0-9][0-9]\).*/\1/p' "$dir/out" | head -1)
	[ -n "$code" ] && { echo "status $code"; exit 0; }
	kill -0 "$pid" 2>/dev/null || break
	sleep 1
done
sed 's/^/s_client: /' "$dir/err" | grep -iv '^s_client: depth=\|verify return' | head -3
echo "error transport"
