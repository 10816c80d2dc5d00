#!/usr/bin/env bash
# Run as: siploc run --sut exec:sut_adapters/baresip/baresip_request.sh
# baresip_request.sh: one request through baresip (the exec kind of adapter): OPTIONS with
# menu's /options, INVITE with /dial; prints "status NNN" or "error KIND" for the exec
# adapter (docs/adapters.md). Config: dns_server is the fake DNS from SIPLOC_DNS_*.
set -u
shopt -s extglob  # the colour-code pattern below
uri=${SIPLOC_URI:?} method=${SIPLOC_METHOD:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/siploc-baresip.XXXXXX") || { echo "error internal"; exit 1; }
trap 'rm -rf "$dir"' EXIT
cat >"$dir/config" <<CFG
sip_listen ${SIPLOC_BIND_ADDR:-127.0.0.1}:5060
dns_server ${SIPLOC_DNS_ADDR:-127.0.0.1}:${SIPLOC_DNS_PORT:-53}
module_path /usr/lib/baresip/modules
module g711.so
module ausine.so
module aufile.so
module_app account.so
module_app menu.so
audio_player aufile,/dev/null
audio_source ausine,440
# ausine makes 48 kHz stereo only: baresip resamples it for the 8 kHz G.711 the 2xx answers
ausrc_srate 48000
ausrc_channels 2
CFG
echo "<sip:siploc@${SIPLOC_BIND_ADDR:-127.0.0.1}>;regint=0" >"$dir/accounts"
case $method in
  OPTIONS) cmd="/options $uri" ;;
  INVITE) cmd="/dial $uri" ;;
  *) echo "baresip: its commands send OPTIONS (/options) and INVITE (/dial) only, not $method"
     echo "error internal"; exit 1 ;;
esac
# baresip quits after -t seconds (SUT time, libfaketime): room for four timer Bs.
secs=$(( ${SIPLOC_TIMER_B_MS:-32000} * 4 / 1000 + 10 ))
# libre reports failures as errno text (menu: "options reply error: %m").
errkind() {
  case $1 in
    *"timed out"*) echo timeout ;;
    *"refused"*|*"reset"*|*"unreachable"*) echo transport ;;
    *"address required"*|*"No such file"*|*"not supported"*) echo no-target ;;
    *"Bad message"*|*"Protocol error"*) echo dns ;;
    *) echo internal ;;
  esac
}
outcome=""
# -n: baresip otherwise looks for a non-loopback interface, and the namespace has none.
coproc BS { exec baresip -f "$dir" -n "${SIPLOC_BIND_ADDR:-127.0.0.1}" -e "$cmd" -t "$secs" 2>&1; }
bs_pid=$BS_PID
exec {rfd}<&"${BS[0]}"
while IFS= read -r line <&"$rfd"; do
  line=${line//$'\e'\[*([0-9;])m/}
  echo "baresip: $line"
  case $line in
    *"----- OPTIONS of "*) outcome="status 200" ;;
    *": OPTIONS failed: "*) outcome="status $(sed -E 's/.*OPTIONS failed: ([0-9]{3}).*/\1/' <<<"$line")" ;;
    *"options reply error: "*) outcome="error $(errkind "$line")" ;;
    *"ua_options failed: "*|*"ua_connect failed"*) outcome="error internal" ;;
    *"Call established"*|*"call established"*) outcome="status 200" ;;
    *"session closed: "[1-6][0-9][0-9]*|*"Call failed: "[1-6][0-9][0-9]*)
      outcome="status $(sed -E 's/.*(closed|failed): ([0-9]{3}).*/\2/' <<<"$line")" ;;
    # EBADMSG here is the UA refusing a response (a 2xx with no Contact cannot make a
    # dialog, RFC 3261 12.1.1), not a DNS error as in libre's resolver
    *"session closed: Bad message"*) outcome="error internal" ;;
    *"session closed: "*|*"Call failed: "*) outcome="error $(errkind "$line")" ;;
  esac
  # Killed, not asked to quit: a quitting UA hangs up its call with a BYE, a request the
  # scenario never asked for (the invariants would judge it as one more attempt).
  # A call is up before baresip has sent its ACK, which may wait for a DNS lookup of the
  # 2xx's Contact: 5 SUT seconds (libfaketime scales sleep) before the kill.
  if [ -n "$outcome" ]; then
    case $line in *"stablished"*) sleep 5 ;; esac
    kill -KILL "$bs_pid" 2>/dev/null; break
  fi
done
wait "$bs_pid" 2>/dev/null
[ -n "$outcome" ] || outcome="error internal"
echo "$outcome"
