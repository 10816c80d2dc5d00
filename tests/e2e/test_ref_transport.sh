#!/usr/bin/env bash
# test_ref_transport.sh: ref's own transport behaviour beyond what the corpus can demand of
# every stack: no retransmission over TCP (with UDP as the control that retransmits), the
# RFC 3261 18.1.1 UDP retry after a refused MTU switch, one connection per destination
# for INVITE, CANCEL, ACK and the next request.
set -u
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
D=tests/e2e/scenarios/ref-transport

expect_exit 0 "ref passes its transport scenarios" "$SIPLOC" run -q --out "$E2E_TMP/r" "$D"
R=$E2E_TMP/r/results.json
jq -r '.scenarios[] | select(.verdict != "pass") | "       | \(.id): \(.verdict) \(.reason)"' "$R"

# INVITEs the silent first target received (the peer logs retransmissions too).
count() { # scenario-id to
  jq --arg id "$1" --arg to "$2" '[.scenarios[] | select(.id == $id) | .events[]
    | select(.kind == "sip-rx" and .method == "INVITE" and .to == $to)] | length' "$R"
}
n_tcp=$(count ref-tcp-no-retransmit 127.0.0.2:5060)
n_udp=$(count ref-udp-retransmits 127.0.0.2:5060)
check "TCP: the INVITE was sent once in 32 s of silence (got $n_tcp)" test "$n_tcp" -eq 1
check "UDP control: timer A retransmitted it (got $n_udp, the count can see it)" test "$n_udp" -gt 5

log=$E2E_TMP/r/log/ref-mtu-tcp-refused-udp-retry.log
check "MTU: the 2 kB INVITE went for TCP first" grep -q "over 1300: TCP to 127.0.0.2:5060" "$log"
check "MTU: refused, retried over UDP at the same target" grep -q "retrying over UDP" "$log"
check "MTU: the UDP retry's Via says UDP" jq -e '[.scenarios[] | select(.id == "ref-mtu-tcp-refused-udp-retry")
  | .events[] | select(.kind == "sip-rx" and .method == "INVITE")] | length > 0 and all(.via_transport == "UDP")' "$R"

srcs=$(jq -r '[.scenarios[] | select(.id == "ref-tcp-one-connection") | .events[]
  | select(.kind == "sip-rx") | .from] | unique | join(" ")' "$R")
meths=$(jq -r '[.scenarios[] | select(.id == "ref-tcp-one-connection") | .events[]
  | select(.kind == "sip-rx") | .method] | unique | join(" ")' "$R")
check "TCP: INVITE, CANCEL, ACK and OPTIONS all seen ($meths)" test "$meths" = "ACK CANCEL INVITE OPTIONS"
check "TCP: all of them on one connection (sources: $srcs)" test "$(wc -w <<<"$srcs")" -eq 1
finish
