#!/usr/bin/env bash
# Stray packets and the invariants that read them: what reached lo that no peer or DNS
# server took is an event (frame, SUT time, SIP fields; the kernel's ICMP or RST points
# at what it answers; tshark agrees on each frame), and the invariants "only addresses
# the URI or DNS gave" and "target order RFC 2782 allows" fire on seeded bugs, naming
# the requirement each bug breaks and the packets that prove it (marked in the ladder).
set -u
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
S=scenarios/rfc3263
ADDR="invariant: only addresses the URI or DNS gave"
ORDER="invariant: target order RFC 2782 allows"

# tshark's one-line view of frame N of a pcap.
frame() { tshark -r "$1" -Y "frame.number == $2" -T fields -e _ws.col.Protocol -e _ws.col.Info 2>/dev/null; }

# --- ref: the request to the closed port and the kernel's ICMP are events
R=$E2E_TMP/ref
expect_exit 0 "ref passes fo-icmp-next-target" "$SIPLOC" run -q --pcapng --out "$R" "$S/4.3-failure/fo-icmp-next-target.lua"
J=$R/results.json
check "a stray INVITE to 127.0.0.2:5060 with its SIP fields" jq -e '[.scenarios[0].events[] |
  select(.kind == "stray" and .method == "INVITE" and .to == "127.0.0.2:5060" and
         (.branch | startswith("z9hG4bK")) and .call_id != null and .t > 0)] | length == 1' "$J"
fs=$(jq '.scenarios[0].events[] | select(.kind == "stray") | .frames[0]' "$J")
si=$(jq '.scenarios[0].events[] | select(.kind == "stray") | .i' "$J")
fr=$(jq --argjson si "$si" '.scenarios[0].events[] | select(.kind == "reject" and .answers == $si) | .frames[0]' "$J")
frame "$R/pcap/fo-icmp-next-target.pcap" "$fs" | grep -q 'SIP.*INVITE' && ok "tshark: frame $fs is the INVITE" || bad "tshark: frame $fs is not the INVITE"
frame "$R/pcap/fo-icmp-next-target.pcap" "${fr:-0}" | grep -q 'ICMP.*Port unreachable' &&
  ok "tshark: the reject answering it, frame $fr, is the ICMP port unreachable" ||
  bad "no reject event answers the stray with the ICMP's frame"
comment() { tshark -r "$R/pcap/fo-icmp-next-target.pcapng" -Y "frame.number == $1" -T fields -e frame.comment 2>/dev/null; }
check "pcapng: the stray's packet comment says no peer took it" sh -c "echo '$(comment "$fs")' | grep -q 'stray: no peer took it'"
check "pcapng: the ICMP's comment says the kernel sent it" sh -c "echo '$(comment "${fr:-0}")' | grep -q 'kernel: ICMP port unreachable'"
check "the stray's reject comes after it" jq -e --argjson si "$si" '.scenarios[0].events |
  (map(select(.i == $si))[0].t) <= (map(select(.kind == "reject"))[0].t)' "$J"
check "the ladder draws the stray INVITE and the ICMP" \
  sh -c "grep -q 'INVITE ;[0-9a-f]* (stray' '$R/report.html' && grep -q 'ICMP port unreachable' '$R/report.html'"
check "the stray is a legitimate attempt: both invariants pass, SRV-PRIORITY seen" jq -e --arg a "$ADDR" --arg o "$ORDER" '
  [.scenarios[0].checks[] | select(.check == $a or .check == $o) | .verdict] == ["pass", "pass"] and
  ([.scenarios[0].checks[] | select(.check == $o) | .requirements[]] | index("SRV-PRIORITY"))' "$J"

# --- a client that sends where nothing is: UDP to an address nothing is declared on,
# TCP to a peer that refuses; and the same client with a seeded bug (port + 1)
C="bash $PWD/tests/e2e/exec_stray_client.sh {uri} {method}"
X=$E2E_TMP/exec
expect_exit 0 "exec client to nowhere: the scenarios pass" "$SIPLOC" run -q --sut "exec:$C" --out "$X" tests/data/strays
J=$X/results.json
check "UDP: stray OPTIONS, 'nothing is declared on 127.0.0.9', then the kernel's ICMP" jq -e '
  .scenarios[] | select(.id == "stray-udp-nowhere") | .events as $e |
  ($e | map(select(.kind == "stray" and .method == "OPTIONS" and (.text | test("nothing is declared on 127.0.0.9")))) | length == 1) and
  ($e | map(select(.kind == "reject" and .transport == "icmp" and .answers != null)) | length == 1)' "$J"
check "TCP: the SYN to the refusing peer and the kernel's RST are events" jq -e '
  .scenarios[] | select(.id == "stray-tcp-refused") | .events as $e |
  ($e | map(select(.kind == "stray" and .transport == "tcp" and (.text | test("refused \\(a peer is declared at 127.0.0.5:5072/tcp")))) | length == 1) and
  ($e | map(select(.kind == "reject" and .transport == "tcp" and (.text | test("RST")))) | length == 1)' "$J"
P=$X/pcap/stray-tcp-refused.pcap
fsyn=$(jq '.scenarios[] | select(.id == "stray-tcp-refused") | .events[] | select(.kind == "stray") | .frames[0]' "$J")
frst=$(jq '.scenarios[] | select(.id == "stray-tcp-refused") | .events[] | select(.kind == "reject") | .frames[0]' "$J")
[ "$(tshark -r "$P" -Y "frame.number == $fsyn" -T fields -e tcp.flags.syn -e tcp.flags.ack 2>/dev/null)" = "1	0" ] &&
  ok "tshark: frame $fsyn is the SYN" || bad "tshark: frame $fsyn is not a bare SYN"
[ "$(tshark -r "$P" -Y "frame.number == $frst" -T fields -e tcp.flags.reset 2>/dev/null)" = "1" ] &&
  ok "tshark: frame $frst is the RST" || bad "tshark: frame $frst is not the RST"
check "the ladder draws the SYN and the RST" \
  sh -c "grep -q 'TCP SYN' '$X/report.html' && grep -q 'TCP RST' '$X/report.html'"
B=$E2E_TMP/exec-bug
expect_exit 1 "exec client with the wrong port fails" "$SIPLOC" run -q --sut "exec:$C 1" --out "$B" tests/data/strays
check "the stray to the wrong port fails the address invariant (AD-NUMERIC), citing its frame" jq -e --arg a "$ADDR" '
  [.scenarios[] | .checks[] | select(.check == $a and .verdict == "fail" and
   (.requirements | index("AD-NUMERIC")) and (.packets | length > 0))] | length == 2' "$B/results.json"

# --- seeded bugs of ref: each fails the invariant that speaks for what it breaks
cases=(
  "srv-port-5060 4.2-address/srv-port-used addr AD-SRV"
  "a-before-srv 4.2-address/srv-before-domain-a addr AD-SRV"
  "srv-dot-fallback 4.2-address/srv-dot-not-offered addr SRV-DOT"
  "port-srv 4.2-address/port-given-a-only addr AD-PORT-A"
  "ignore-maddr 4.2-address/maddr-is-target addr TARGET-MADDR"
  "ignore-transport 4.1-transport/transport-param-udp-skips-naptr addr TP-PARAM"
  "naptr-any-flags 4.1-transport/naptr-flags-non-s-skipped addr TP-NAPTR-FLAGS"
  "naptr-any-service 4.1-transport/naptr-unsupported-services-skipped addr TP-UNSUPPORTED"
  "exhaust-a-fallback 4.3-failure/fo-exhaust-all-503 addr AD-SRV"
  "priority-desc 4.2-address/srv-priority-lowest-first order SRV-PRIORITY"
  "one-per-priority 4.2-address/srv-priority-all-equal-tried order SRV-PRIORITY"
  "first-addr-only 4.2-address/srv-every-address-of-target order SRV-ALL-ADDRS"
  "naptr-wire-order 4.1-transport/naptr-order-not-wire-order order TP-NAPTR-ORDER"
  "loop-exhaust 4.3-failure/fo-exhaust-all-503 order FO-EXHAUST"
)
mkdir -p "$E2E_TMP/m"
printf '%s\n' "${cases[@]}" | xargs -P4 -L1 sh -c \
  '"$1" run -q --sut "mutant-$3" --out "$2/m/$3-$5" "scenarios/rfc3263/$4.lua" >/dev/null 2>&1' \
  _ "$SIPLOC" "$E2E_TMP" || true
for c in "${cases[@]}"; do
  read -r m f which id <<<"$c"
  [ "$which" = addr ] && name=$ADDR || name=$ORDER
  d=$E2E_TMP/m/$m-$which
  if [ ! -f "$d/results.json" ]; then
    "$SIPLOC" run -q --sut "mutant-$m" --out "$d" "$S/$f.lua" >/dev/null 2>&1
  fi
  check "mutant $m: '$name' fails for $id on $(basename "$f"), citing packets" jq -e --arg n "$name" --arg id "$id" '
    [.scenarios[0].checks[] | select(.check == $n and .verdict == "fail" and
     (.requirements | index($id)) and (.packets | length > 0))] | length == 1' "$d/results.json"
  # The ladder marks the packets the failed invariant cites.
  pk=$(jq -r --arg n "$name" '.scenarios[0].checks[] | select(.check == $n) | .packets[0]' "$d/results.json" 2>/dev/null)
  check "mutant $m: the ladder marks frame $pk as failed" \
    sh -c "grep -o '<g class=\"msg[a-z ]*failed\"><title>[^<]*(frame $pk)' '$d/report.html' | grep -q ."
done
finish
