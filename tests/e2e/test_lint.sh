#!/usr/bin/env bash
# siploc lint: every zone under tests/data/lint gives exactly the finding IDs its
# "; expect:" line names; the live mode, asking NSD serving the same zone, gives the same
# findings; bad input exits 2. Runs NSD inside its own network namespace.
set -u
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
SIPLOC=$(realpath "$BUILD/siploc")
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
D=tests/data/lint

# --- file mode: the exact set of IDs
for z in "$D"/*.zone; do
  want=$(sed -n 's/^; expect://p' "$z" | tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ')
  "$SIPLOC" lint --json "$z" >"$E2E_TMP/f.json" 2>"$E2E_TMP/err"; rc=$?
  got=$(jq -r '.findings[].id' "$E2E_TMP/f.json" 2>/dev/null | sort -u | tr '\n' ' ')
  errs=$(jq '.summary.errors' "$E2E_TMP/f.json" 2>/dev/null)
  if [ "$want" = "$got" ]; then ok "$(basename "$z"): [${got% }]"; else bad "$(basename "$z"): want [${want% }] got [${got% }]"; fi
  want_rc=0; [ "${errs:-0}" -gt 0 ] && want_rc=1
  check "$(basename "$z"): exit $want_rc for ${errs:-?} error-level finding(s)" test "$rc" -eq "$want_rc"
done
check "findings name the file line" sh -c "'$SIPLOC' lint $D/srv-port0.zone | grep -q 'srv-port0.zone:5: error LINT-SRV-PORT0'"
check "findings quote the record" sh -c "'$SIPLOC' lint $D/srv-port0.zone | grep -q 'IN SRV 0 1 0 server1.example.com.'"

# --- bad input
expect_exit 2 "unparsable zone" "$SIPLOC" lint tests/data/lint-bad.zone
check "unparsable zone names file and line" grep -q 'lint-bad.zone:3:' "$E2E_TMP/last.err"
expect_exit 2 "missing file" "$SIPLOC" lint "$E2E_TMP/nope.zone"
expect_exit 2 "no argument" "$SIPLOC" lint
expect_exit 2 "bad --server" "$SIPLOC" lint --server 'not an address:x' example.com
printf 'sip 3600 IN A 192.0.2.1\n' >"$E2E_TMP/noorigin.zone"
expect_exit 2 "zone without origin or --domain" "$SIPLOC" lint "$E2E_TMP/noorigin.zone"
check "asks for --domain" grep -q -- '--domain' "$E2E_TMP/last.err"

# --- live mode against NSD, in a private network namespace
if ! command -v nsd >/dev/null; then
  bad "nsd is not installed (scripts/deps.sh installs it)"
  finish; exit
fi
cat >"$E2E_TMP/live.sh" <<'LIVE'
set -u
ip link set lo up
SIPLOC=$1 D=$2 T=$3
fails=0
for z in "$D"/*.zone; do
  n=$(basename "$z" .zone)
  W=$T/nsd-$n; mkdir -p "$W"
  # NSD serves the root zone with the test records in it, so out-of-domain names
  # (another domain's SRV, targets elsewhere) are answered too.
  { printf '$ORIGIN .\n$TTL 3600\n. IN SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 300\n. IN NS ns.invalid.\n'
    cat "$z"; } >"$W/root.zone"
  cat >"$W/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@5399
  username: ""
  chroot: ""
  zonesdir: "$W"
  pidfile: "$W/nsd.pid"
  database: ""
  xfrdfile: "$W/xfrd.state"
  zonelistfile: "$W/zone.list"
  logfile: "$W/nsd.log"
  server-count: 1
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: "."
  zonefile: "$W/root.zone"
CONF
  nsd -d -c "$W/nsd.conf" 2>"$W/nsd.err" &
  pid=$!
  for i in $(seq 50); do
    dig +short +time=1 +tries=1 -p 5399 @127.0.0.1 . SOA >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$SIPLOC" lint --json "$z" | jq -c '[.findings[] | [.id, .level, .record, .message]] | sort' >"$W/file.txt"
  "$SIPLOC" lint --json --server 127.0.0.1:5399 example.com >"$W/live.json" 2>"$W/live.err"
  jq -c '[.findings[] | [.id, .level, .record, .message]] | sort' "$W/live.json" >"$W/live.txt" 2>/dev/null
  kill "$pid"; wait "$pid" 2>/dev/null
  if [ -s "$W/file.txt" ] && cmp -s "$W/file.txt" "$W/live.txt"; then
    echo "  ok   live == file: $n"
  else
    echo "  FAIL live != file: $n"; diff "$W/file.txt" "$W/live.txt" | head -5; cat "$W/live.err" "$W/nsd.err" | head -5
    fails=$((fails + 1))
  fi
done
exit $fails
LIVE
unshare -n bash "$E2E_TMP/live.sh" "$SIPLOC" "$D" "$E2E_TMP" >"$E2E_TMP/live.out" 2>&1; lrc=$?
cat "$E2E_TMP/live.out"
nz=$(ls "$D"/*.zone | wc -l)
nlive=$(grep -c '^  ok   live == file' "$E2E_TMP/live.out")
check "live mode against NSD matches file mode for all $nz zones ($nlive matched)" test "$lrc" -eq 0 -a "$nlive" -eq "$nz"
finish
