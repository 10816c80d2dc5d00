#!/usr/bin/env bash
# report.html in a real browser: headless Chromium (tests/e2e/cdp_report.js drives it over
# the DevTools pipe) loads the report of ref and of a mutant, renders the requirement
# matrix and every ladder (all their text laid out, nothing thrown, nothing fetched), a
# nineteen-column ladder scrolls sideways inside its box instead of being cut, strays and
# the kernel's ICMP are drawn, the failed packets are marked; screenshots are taken.
# Two broken copies of the report prove the probe can see a script error and a ladder
# that does not render.
set -u
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
S=scenarios/rfc3263
SCS=(tests/data/wide/wide-ladder.lua "$S/4.3-failure/fo-icmp-next-target.lua"
     "$S/4.3-failure/fo-503-next-srv-target.lua")
command -v chromium >/dev/null || bad "chromium is not installed (scripts/deps.sh installs it)"
command -v node >/dev/null || bad "node is not installed (scripts/deps.sh installs nodejs)"

run_ok() { "$@" >"$E2E_TMP/last.out" 2>"$E2E_TMP/last.err"; [ $? -le 1 ]; }
check "run against ref" run_ok "$SIPLOC" run -q --out "$E2E_TMP/ref" "${SCS[@]}"
check "run against mutant-same-branch" run_ok "$SIPLOC" run -q --sut mutant-same-branch \
  --out "$E2E_TMP/mut" "${SCS[@]}"

probe() { # dir name: writes $E2E_TMP/name.json
  node tests/e2e/cdp_report.js "$1/report.html" "$E2E_TMP/$2.png" wide-ladder \
    >"$E2E_TMP/$2.json" 2>"$E2E_TMP/$2.err"
}
for n in ref mut; do
  d=$E2E_TMP/$n
  if ! probe "$d" "$n"; then bad "$n: chromium did not load the report ($(tail -2 "$E2E_TMP/$n.err"))"; continue; fi
  J=$E2E_TMP/$n.json
  nreq=$(jq '.requirements | length' "$d/results.json")
  check "$n: the matrix renders all $nreq requirement rows" \
    jq -e --argjson n "$nreq" '.matrixRows == $n and .matrixVisible == $n' "$J"
  check "$n: one rendered ladder per scenario, all its text laid out" jq -e '
    (.ladders | length) == 3 and all(.ladders[]; .width > 100 and .height > 100 and
      .arrows > 0 and .textRendered == .texts)' "$J"
  check "$n: no script error, no console error, nothing fetched" jq -e '
    .exceptions == [] and .failedLoads == [] and .scripts == 0 and
    ([.console[] | select(.type == "error" or .type == "warning")] == [])' "$J"
  check "$n: the 19-column ladder scrolls in its box and repeats its heads" jq -e '
    .wide.columns == 19 and .wide.scrolls and .wide.width > .wide.boxWidth and .wide.heads >= 2' "$J"
  check "$n: strays and ICMP drawn as wire packets" jq -e '
    [.ladders[] | select(.id == "fo-icmp-next-target" or .id == "wide-ladder") | .wire >= 2] | all' "$J"
  check "$n: screenshots taken" sh -c "test \$(stat -c %s '$E2E_TMP/$n.png') -gt 20000 &&
    test \$(stat -c %s '$E2E_TMP/$n-ladder.png') -gt 10000"
done
check "ref: nothing marked failed" jq -e '[.ladders[].failed] | add == 0' "$E2E_TMP/ref.json"
check "mutant: failed packets marked in the ladders" jq -e '[.ladders[].failed] | add > 0' "$E2E_TMP/mut.json"

# The probe must be able to say no.
sed 's|</body>|<script>throw new Error("seeded")</script></body>|' "$E2E_TMP/ref/report.html" >"$E2E_TMP/ref/broken1.html"
node tests/e2e/cdp_report.js "$E2E_TMP/ref/broken1.html" "$E2E_TMP/b1.png" >"$E2E_TMP/b1.json" 2>/dev/null
check "a script error in the page is seen" jq -e '(.exceptions | length) == 1 and .scripts == 1' "$E2E_TMP/b1.json"
sed 's|</style>|svg.ladder text{display:none}</style>|' "$E2E_TMP/ref/report.html" >"$E2E_TMP/ref/broken2.html"
node tests/e2e/cdp_report.js "$E2E_TMP/ref/broken2.html" "$E2E_TMP/b2.png" >"$E2E_TMP/b2.json" 2>/dev/null
check "a ladder whose text does not render is seen" jq -e '[.ladders[] | .textRendered < .texts] | all' "$E2E_TMP/b2.json"
finish
