#!/usr/bin/env bash
# sample-report.sh: regenerates docs/sample-report/ (linked from the README): a run of a
# few scenarios against ref's seeded bug first-addr-only, so the report shows passing
# scenarios, one failing check marked on its packets, strays to a closed port with the
# kernel's ICMP, and a 19-column ladder. Run from the tree after `make build-all`.
set -eu
cd "$(dirname "$0")/.."
OUT=docs/sample-report
S=scenarios/rfc3263
rm -rf "$OUT"
set +e
build/siploc run --out "$OUT" --sut mutant-first-addr-only \
  "$S/4.2-address/srv-every-address-of-target.lua" "$S/4.3-failure/fo-icmp-next-target.lua" \
  "$S/4.3-failure/fo-503-next-srv-target.lua" "$S/4-transaction/txn-ack-non2xx-same-branch.lua" \
  tests/data/wide/wide-ladder.lua \
  >"$OUT.console" 2>&1
rc=$?
set -e
[ "$rc" -le 1 ] || { cat "$OUT.console"; exit 1; }
mv "$OUT.console" "$OUT/console.txt"
# What the report links to stays (pcaps); scratch and logs do not.
rm -rf "$OUT/work" "$OUT/log"
echo "wrote $OUT (exit $rc: the seeded bug fails a check, as it should)"
