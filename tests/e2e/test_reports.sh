#!/usr/bin/env bash
# The reports people read: junit.xml valid against tests/data/junit.xsd, report.html
# well-formed with its matrix and one ladder per scenario, pcapng comments in tshark,
# `siploc report` rebuilding byte for byte, `siploc diff` naming the broken requirement,
# and the console honouring -q, -v, a terminal and NO_COLOR.
set -u
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
F=scenarios/rfc3263/4.3-failure
SCS=("$F/fo-503-next-srv-target.lua" "$F/fo-exhaust-all-503.lua" "$F/fo-timeout-timer-b.lua")
XSD=tests/data/junit.xsd

# A run's exit status is 0 or 1 depending on the SUT; 2 or worse is a broken run.
run_ok() { "$@" >"$E2E_TMP/last.out" 2>"$E2E_TMP/last.err"; [ $? -le 1 ]; }

REF=$E2E_TMP/ref MUT=$E2E_TMP/mut
check "run against ref with --pcapng" run_ok "$SIPLOC" run --pcapng --out "$REF" "${SCS[@]}"
cp "$E2E_TMP/last.out" "$E2E_TMP/ref.console"
expect_exit 1 "run against mutant-same-branch fails" \
  "$SIPLOC" run --pcapng --sut mutant-same-branch --out "$MUT" "${SCS[@]}"
cp "$E2E_TMP/last.out" "$E2E_TMP/mut.console"

# --- results.json carries what the reports need
check "results.json has the run's UTC date" \
  jq -e '.date | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")' "$REF/results.json"
check "requirements carry their text" \
  jq -e '[.requirements[] | .text | length > 0] | all' "$REF/results.json"

# --- junit.xml
for d in "$REF" "$MUT"; do
  check "junit.xml of $(basename "$d") valid against $XSD" xmllint --noout --schema "$XSD" "$d/junit.xml"
  check "one testcase per scenario ($(basename "$d"))" \
    test "$(grep -c '<testcase ' "$d/junit.xml")" -eq "$(jq '.scenarios | length' "$d/results.json")"
done
check "testcase classname is the section folder" \
  grep -q '<testcase classname="4.3-failure" name="fo-503-next-srv-target"' "$REF/junit.xml"
check "mutant junit: a failure names FO-NEWBRANCH" grep -q '<failure message="[^"]*FO-NEWBRANCH' "$MUT/junit.xml"
check "mutant junit: failures count matches results" \
  grep -q "failures=\"$(jq '.summary.fail' "$MUT/results.json")\"" "$MUT/junit.xml"
# The schema must be able to say no, or validating against it proves nothing.
sed 's/<testcase classname="\([^"]*\)" name="[^"]*"/<testcase classname="\1"/' "$MUT/junit.xml" >"$E2E_TMP/bad.xml"
check "the XSD rejects a testcase without a name" sh -c "! xmllint --noout --schema $XSD $E2E_TMP/bad.xml"
sed 's/<failure /<fail /; s/<\/failure>/<\/fail>/' "$MUT/junit.xml" >"$E2E_TMP/bad.xml"
check "the XSD rejects an unknown outcome element" sh -c "! xmllint --noout --schema $XSD $E2E_TMP/bad.xml"

# --- report.html
for d in "$REF" "$MUT"; do
  n=$(basename "$d")
  check "report.html of $n is well-formed (parsed as XML)" xmllint --noout "$d/report.html"
  # libxml2's HTML parser predates HTML5: it may only complain about the newer tags.
  xmllint --html --noout "$d/report.html" 2>"$E2E_TMP/html.err"
  check "report.html of $n: no HTML parser errors but HTML5 tags" \
    sh -c "! grep 'error' '$E2E_TMP/html.err' | grep -v 'Tag \(main\|section\|svg\|details\|summary\|title\|text\|line\|rect\|polygon\|g\) invalid'"
  check "report.html of $n: one matrix row per requirement" \
    test "$(grep -c '<tr class="v-[a-z-]*" id="req-' "$d/report.html")" -eq "$(jq '.requirements | length' "$d/results.json")"
  check "report.html of $n: one ladder <svg> per scenario" \
    test "$(grep -c '<svg ' "$d/report.html")" -eq "$(jq '.scenarios | length' "$d/results.json")"
  check "report.html of $n: self-contained" \
    sh -c "! grep -Eq '<script|<link|<img|(src|href)=\"(https?:)?//|url\(' '$d/report.html'"
done
check "report.html shows the SUT and the date from results.json" \
  grep -q "date <b>$(jq -r .date "$REF/results.json")</b>" "$REF/report.html"
check "FO-NEWBRANCH row: fail in the mutant" \
  grep -q 'id="req-FO-NEWBRANCH"><td class="id">FO-NEWBRANCH</td><td>SHOULD</td><td>[^<]*</td><td><span class="badge fail">' "$MUT/report.html"
check "mutant ladder marks the failing INVITE" grep -q '<g class="msg failed">' "$MUT/report.html"
# Only as long as ref failed no check (a loaded machine can make a timing check fail).
if jq -e '[.scenarios[].checks[] | .verdict == "pass"] | all' "$REF/results.json" >/dev/null; then
  check "ref ladder marks nothing failed" sh -c "! grep -q '<g class=\"msg failed\">' '$REF/report.html'"
else
  echo "  (ref failed a check this time:"; grep ' FAIL ' "$E2E_TMP/ref.console"; echo "  )"
fi
check "report links each pcap" grep -q 'href="pcap/fo-503-next-srv-target.pcap"' "$REF/report.html"

# --- pcapng
P=$MUT/pcap/fo-503-next-srv-target
check "pcapng written next to the pcap" test -s "$P.pcapng"
tshark -r "$P.pcapng" -T fields -e frame.comment >"$E2E_TMP/comments.txt" 2>/dev/null
tshark -r "$P.pcap" -T fields -e frame.number >"$E2E_TMP/frames.txt" 2>/dev/null
check "pcapng keeps every packet" test "$(wc -l <"$E2E_TMP/comments.txt")" -eq "$(wc -l <"$E2E_TMP/frames.txt")"
check "tshark shows the scenario step" grep -q 'fo-503-next-srv-target step [0-9]* (SUT t=.*DNS query NAPTR example.test' "$E2E_TMP/comments.txt"
check "tshark shows the failed check on its packet" grep -q 'check FAIL: invariant: new branch per attempt \[FO-NEWBRANCH\]' "$E2E_TMP/comments.txt"

# --- siploc report: byte-identical rebuild
for d in "$REF" "$MUT"; do
  cp "$d/junit.xml" "$E2E_TMP/junit.orig"; cp "$d/report.html" "$E2E_TMP/report.orig"
  rm "$d/junit.xml" "$d/report.html" "$d"/pcap/*.pcapng
  expect_exit 0 "siploc report $(basename "$d")" "$SIPLOC" report "$d"
  check "rebuilt junit.xml identical ($(basename "$d"))" cmp "$d/junit.xml" "$E2E_TMP/junit.orig"
  check "rebuilt report.html identical ($(basename "$d"))" cmp "$d/report.html" "$E2E_TMP/report.orig"
done
check "report rebuilt the pcapng files" test -s "$P.pcapng"
ONLY=$E2E_TMP/only-json; mkdir -p "$ONLY"; cp "$REF/results.json" "$ONLY/"
expect_exit 0 "report from results.json alone (no pcaps)" "$SIPLOC" report "$ONLY"
check "same report.html without the pcaps" cmp "$ONLY/report.html" "$REF/report.html"

# --- siploc diff
expect_exit 1 "diff ref mutant: something changed" "$SIPLOC" diff "$REF" "$MUT"
check "diff names FO-NEWBRANCH pass -> fail" grep -q '^requirement FO-NEWBRANCH: pass -> fail$' "$E2E_TMP/last.out"
expect_exit 0 "diff of a run with itself" "$SIPLOC" diff "$REF" "$REF/results.json"
check "diff says no changes" grep -q '^no changes$' "$E2E_TMP/last.out"
jq 'del(.scenarios[0])' "$REF/results.json" >"$E2E_TMP/fewer.json"
expect_exit 1 "diff: a scenario removed" "$SIPLOC" diff "$REF" "$E2E_TMP/fewer.json"
check "diff names the removed scenario" grep -q "^scenario $(jq -r '.scenarios[0].id' "$REF/results.json"): removed" "$E2E_TMP/last.out"

# --- bad input: exit 2, the file and the reason named
BAD=$E2E_TMP/bad; mkdir -p "$BAD"
printf '{\n  "scenarios": [\n    {"id": "x",, }\n  ]\n}\n' >"$BAD/results.json"
expect_exit 2 "diff with a corrupt results.json" "$SIPLOC" diff "$REF" "$BAD"
check "corrupt results.json named with line:column" grep -q "$BAD/results.json:3:[0-9]*: invalid JSON" "$E2E_TMP/last.err"
expect_exit 2 "report of a corrupt results.json" "$SIPLOC" report "$BAD"
check "report names the file and line" grep -q "$BAD/results.json:3:" "$E2E_TMP/last.err"
expect_exit 2 "diff with a missing results.json" "$SIPLOC" diff "$REF" "$E2E_TMP/nothing"
check "missing results.json named" grep -q "$E2E_TMP/nothing" "$E2E_TMP/last.err"
echo '{"scenarios": [{"id": "x", "verdict": "great"}], "requirements": {}, "summary": {}}' >"$BAD/results.json"
expect_exit 2 "report of a results.json with a bad verdict" "$SIPLOC" report "$BAD"
check "bad field named" grep -q 'scenarios\[0\].verdict' "$E2E_TMP/last.err"
expect_exit 2 "diff with one argument" "$SIPLOC" diff "$REF"

# --- console
check "console: summary with requirement totals by level" grep -q '^requirements: .*MUST [0-9]*/[0-9]* passed' "$E2E_TMP/mut.console"
check "console: failing requirement listed by level" grep -q 'fail *SHOULD FO-NEWBRANCH' "$E2E_TMP/mut.console"
check "console: failure line with check, requirement, detail" \
  grep -q 'FAIL invariant: new branch per attempt \[FO-NEWBRANCH\]: failover INVITE' "$E2E_TMP/mut.console"
check "console: no escape codes or carriage returns off a terminal" \
  sh -c "! grep -q \$'[\\r\\033]' '$E2E_TMP/ref.console'"
ONE=${SCS[0]}
check "run -v" run_ok "$SIPLOC" run -v --out "$E2E_TMP/v" "$ONE"
check "run without --pcapng writes a pcap but no pcapng" \
  sh -c "ls $E2E_TMP/v/pcap/*.pcap && ! ls $E2E_TMP/v/pcap/*.pcapng"
check "-v prints passing checks" grep -q '^ *pass expect_status \[FO-503\]' "$E2E_TMP/last.out"
check "-v prints the progress line in a log" grep -q '^progress: 1/1 scenarios, 1 passed, 0 failed' "$E2E_TMP/last.out"
check "run -q" run_ok "$SIPLOC" run -q --out "$E2E_TMP/q" "$ONE"
check "-q prints no passing scenario and no progress" sh -c "! grep -Eq '^\[1/1\] pass|^progress' '$E2E_TMP/last.out'"
# On a terminal (script(1) gives one): colour, and the progress line rewritten in place.
TTY_OUT=$E2E_TMP/tty.out
script -qec "$SIPLOC run --sut mutant-same-branch --out $E2E_TMP/tty $ONE" /dev/null >"$TTY_OUT" 2>&1
check "terminal: colour on" grep -q $'\033\\[31m' "$TTY_OUT"
check "terminal: progress rewritten in place" grep -q $'\r\033\\[Kprogress: 1/1 scenarios' "$TTY_OUT"
script -qec "NO_COLOR=1 $SIPLOC run --sut mutant-same-branch --out $E2E_TMP/tty $ONE" /dev/null >"$TTY_OUT" 2>&1
check "terminal with NO_COLOR: no colour" sh -c "! grep -q \$'\\033\\[3[0-9]m' '$TTY_OUT'"
check "terminal with NO_COLOR: still the progress line" grep -q $'\r\033\\[Kprogress: 1/1' "$TTY_OUT"

finish
