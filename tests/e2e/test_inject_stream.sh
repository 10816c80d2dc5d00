#!/usr/bin/env bash
# test_inject_stream.sh: inject{} from /tcp and /tls sources and ref's server side over
# them, read back from the pcaps with tshark: a gone client's request and its FIN travel
# in one segment (what makes the section 5 scenarios deterministic); the response then
# comes over a new connection to the sent-by (TLS: decrypted with the key log); a client
# that stays gets its response, its ACK and its next request on its one connection.
set -u
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
S=scenarios/rfc3263/5-server

expect_exit 0 "the stream scenarios pass against ref" "$SIPLOC" run -q --out "$E2E_TMP/r" \
  "$S/sv-tcp-closed-new-connection.lua" "$S/sv-tls-numeric-sentby.lua" \
  tests/e2e/scenarios/inject-stream
R=$E2E_TMP/r/results.json
jq -r '.scenarios[] | select(.verdict != "pass") | "       | \(.id): \(.verdict) \(.reason)"' "$R"

# frame ID KIND FIELD VALUE: the first frame of the events of scenario ID of that kind
# whose FIELD is VALUE (a method or a status).
frame() {
  jq -r --arg id "$1" --arg k "$2" --arg f "$3" --arg v "$4" '[.scenarios[] | select(.id == $id)
    | .events[] | select(.kind == $k and ((.[$f] // "") | tostring) == $v) | .frames[0]]
    | first // empty' "$R"
}
# fields ID FRAME FIELDS...: tshark's view of one frame of scenario ID (TLS decrypted).
fields() {
  local id=$1 fr=$2; shift 2
  local p=$E2E_TMP/r/pcap/$id f=() a=()
  for x in "$@"; do f+=(-e "$x"); done
  [ -f "$p.keys" ] && a=(-o "tls.keylog_file:$p.keys")
  tshark -r "$p.pcap" "${a[@]}" -d tcp.port==5071,tls -d tls.port==5071,sip \
    -Y "frame.number == $fr" -T fields -E separator=' ' "${f[@]}" 2>/dev/null
}

id=sv-tcp-closed-new-connection
inv=$(frame $id sip-tx method INVITE)
rsp=$(frame $id sip-rx status 486)
check "TCP gone: the INVITE's frame is known (#$inv)" test -n "$inv"
read -r fin meth stream_req <<<"$(fields $id "$inv" tcp.flags.fin sip.Method tcp.stream)"
check "TCP gone: INVITE and FIN in one segment (fin=$fin, $meth)" test "$fin/$meth" = "1/INVITE"
read -r code dport stream_rsp <<<"$(fields $id "$rsp" sip.Status-Code tcp.dstport tcp.stream)"
check "TCP gone: the 486 came to the sent-by port 5070 ($code to $dport)" test "$code/$dport" = "486/5070"
check "TCP gone: over a new connection (stream $stream_rsp, request's $stream_req)" \
  test -n "$stream_rsp" -a "$stream_rsp" != "$stream_req"

id=sv-tls-numeric-sentby
req=$(frame $id sip-tx method OPTIONS)
rsp=$(frame $id sip-rx status 200)
read -r fin meth <<<"$(fields $id "$req" tcp.flags.fin sip.Method)"
check "TLS gone: the OPTIONS record and the FIN in one segment (fin=$fin, $meth)" \
  test "$fin/$meth" = "1/OPTIONS"
read -r code dst dport <<<"$(fields $id "$rsp" sip.Status-Code ip.dst tcp.dstport)"
check "TLS gone: the 200 decrypts at the sent-by 127.0.0.6:5071 ($code $dst:$dport)" \
  test "$code $dst:$dport" = "200 127.0.0.6:5071"
check "TLS gone: the SUT had its own certificate" jq -e --arg id $id '.scenarios[] | select(.id == $id)
  | [.events[] | select(.kind == "note") | .text] | any(startswith("SUT 127.0.0.1:5061/tls: certificate IP Address:127.0.0.1"))' "$R"

id=inject-tcp-stays-same-connection
streams=$(tshark -r "$E2E_TMP/r/pcap/$id.pcap" -Y sip -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)
sips=$(tshark -r "$E2E_TMP/r/pcap/$id.pcap" -Y sip -T fields -e sip.CSeq 2>/dev/null | tr '\n' ',')
check "TCP stays: INVITE, 486, ACK, OPTIONS, 200 ($sips)" \
  test "$sips" = "1 INVITE,1 INVITE,1 ACK,1 OPTIONS,1 OPTIONS,"
check "TCP stays: all on one connection ($streams stream)" test "$streams" -eq 1
check "TCP stays: nothing reached the listening port 5070" test -z \
  "$(tshark -r "$E2E_TMP/r/pcap/$id.pcap" -Y 'tcp.dstport == 5070' 2>/dev/null)"
id=inject-tls-stays-same-connection
n=$(tshark -r "$E2E_TMP/r/pcap/$id.pcap" -o "tls.keylog_file:$E2E_TMP/r/pcap/$id.keys" -Y sip \
  -T fields -e tcp.stream -e sip.CSeq 2>/dev/null | sort -u | tr '\t\n' ' ;')
check "TLS stays: OPTIONS and its 200 decrypt, on one connection ($n)" test "$n" = "0 1 OPTIONS;"
finish
