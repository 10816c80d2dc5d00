#!/usr/bin/env bash
# The exec adapter (--sut exec:'CMD {uri} {method}'): a shell+kdig client sends the
# scenario's request through the fake DNS and peers (so on the fake clock, in the
# namespace), and its output or exit status maps to the outcome through the declared
# table (docs/adapters.md).
set -u
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
CLIENT="bash $PWD/tests/e2e/exec_sip_client.sh {uri} {method}"

mkdir -p "$E2E_TMP/scn"
for code in 200 503; do
  cat >"$E2E_TMP/scn/exec-$code.lua" <<LUA
scenario { id = "exec-$code", covers = { "FO-503" }, needs = { "udp" },
           summary = "one OPTIONS through the exec client; the peer answers $code" }
zone [[
\$ORIGIN example.test.
_sip._udp  IN SRV   10 0 5070 sip1.example.test.
sip1       IN A     127.0.0.2
]]
peer("127.0.0.2:5070/udp", reply($code))
local r = send{ method = "OPTIONS", uri = "sip:alice@example.test" }
expect_status(r, $code)
expect_dns({ "SRV _sip._udp.example.test", "A sip1.example.test" })
expect_route({ "127.0.0.2:5070/udp" }, { method = "OPTIONS" })
LUA
done
OUT=$E2E_TMP/client
expect_exit 0 "exec client: run passes" "$SIPLOC" run -q --sut "exec:$CLIENT" --out "$OUT" "$E2E_TMP/scn"
R=$OUT/results.json
check "exec client: both scenarios pass" jq -e '[.scenarios[].verdict] == ["pass", "pass"]' "$R"
check "exec client: sut is exec" jq -e '.sut.name == "exec"' "$R"
check "exec client: the 503 came back as the outcome" \
  jq -e '[.scenarios[] | select(.id == "exec-503") | .events[] | select(.kind == "sut-done") | .outcome] == ["503"]' "$R"
check "exec client: its output is in the log" grep -q 'exec 1: status 200' "$OUT/log/exec-200.log"
check "exec client: the OPTIONS is in the pcap" \
  sh -c "tshark -r '$OUT/pcap/exec-200.pcap' -Y 'sip.Method == \"OPTIONS\"' 2>/dev/null | grep -q OPTIONS"

# The outcome table, one command per row: command | outcome wanted
cat >"$E2E_TMP/one.lua" <<'LUA'
scenario { id = "exec-table", covers = { "FO-503" }, summary = "the outcome table" }
expect_status(send{ method = "OPTIONS", uri = "sip:alice@example.test" }, "success")
LUA
n=0
while IFS='|' read -r cmd want; do
  OUT=$E2E_TMP/t$((++n))
  "$SIPLOC" run -q --sut "exec:$cmd" --out "$OUT" "$E2E_TMP/one.lua" >/dev/null 2>&1
  check "exec:'$cmd' -> $want" jq -e --arg w "$want" \
    '[.scenarios[0].events[] | select(.kind == "sut-done") | .outcome] == [$w]' "$OUT/results.json"
done <<'TABLE'
exit 0|200
exit 7|internal-error
echo status 486 Busy Here; exit 1|486
echo error dns|dns-error
echo error no-target|no-target
echo status 180; echo status 404|404
kill -9 $$|internal-error
test {method} = OPTIONS -a {uri} = sip:alice@example.test|200
echo {nope}|internal-error
TABLE
check "unknown template field is named in the log" grep -q 'unknown field {nope}' "$OUT/log/exec-table.log"

# resolv.conf: the runner binds its own over /etc/resolv.conf in a private mount
# namespace, so a command that only knows resolv.conf (here glibc's getent) reaches the
# fake DNS; the host's file is untouched.
cat >"$E2E_TMP/resolv.lua" <<'LUA'
scenario { id = "exec-resolv", covers = { "FO-503" }, summary = "resolv.conf is the fake DNS" }
zone [[
$ORIGIN example.test.
sip1       IN A     127.0.0.2
]]
expect_status(send{ method = "OPTIONS", uri = "sip:alice@example.test" }, "success")
LUA
before=$(md5sum /etc/resolv.conf)
OUT=$E2E_TMP/resolv
"$SIPLOC" run -q --sut "exec:cat /etc/resolv.conf; getent hosts sip1.example.test" \
  --out "$OUT" "$E2E_TMP/resolv.lua" >/dev/null 2>&1
check "resolv.conf: the runner says it bound one" grep -q 'runner: /etc/resolv.conf is nameserver 127.0.0.1' "$OUT/log/exec-resolv.log"
check "resolv.conf: the command sees nameserver 127.0.0.1" grep -q 'exec 1: nameserver 127.0.0.1$' "$OUT/log/exec-resolv.log"
check "resolv.conf: glibc resolved sip1 through the fake DNS" grep -qE 'exec 1: 127\.0\.0\.2 +sip1.example.test' "$OUT/log/exec-resolv.log"
check "resolv.conf: the fake DNS saw the query" grep -qE 'dns .* A sip1.example.test rcode=0 an=1' "$OUT/log/exec-resolv.log"
check "resolv.conf: the host's file is untouched" test "$before" = "$(md5sum /etc/resolv.conf)"

expect_exit 2 "--sut exec: with no command" "$SIPLOC" run --sut exec: --out "$E2E_TMP/x" "$E2E_TMP/one.lua"

# SIPLOC_EXEC_CAPS: what the command can do decides what runs; a bad word is named.
SIPLOC_EXEC_CAPS=udp,bogus expect_exit 2 "SIPLOC_EXEC_CAPS with an unknown word" \
  "$SIPLOC" run --sut exec:true --out "$E2E_TMP/x" "$E2E_TMP/one.lua"
check "the message names the word" grep -q "unknown capability 'bogus'" "$E2E_TMP/last.err"
cat >"$E2E_TMP/needtcp.lua" <<'LUA'
scenario { id = "exec-needs-tcp", covers = { "TP-PARAM" }, needs = { "tcp" }, summary = "x" }
peer("127.0.0.2:5060/tcp", reply(200))
expect_status(send{ method = "OPTIONS", uri = "sip:a@127.0.0.2;transport=tcp" }, "success")
LUA
"$SIPLOC" run -q --sut exec:true --out "$E2E_TMP/c1" "$E2E_TMP/needtcp.lua" >/dev/null 2>&1
check "without SIPLOC_EXEC_CAPS a tcp scenario is not-run" \
  jq -e '.scenarios[0].verdict == "not-run"' "$E2E_TMP/c1/results.json"
SIPLOC_EXEC_CAPS=udp,tcp "$SIPLOC" run -q --sut exec:false --out "$E2E_TMP/c2" "$E2E_TMP/needtcp.lua" >/dev/null 2>&1
check "with SIPLOC_EXEC_CAPS=udp,tcp it runs (and fails: false is no client)" \
  jq -e '.scenarios[0].verdict == "fail"' "$E2E_TMP/c2/results.json"

# SIPLOC_EXEC_NAME / SIPLOC_EXEC_VERSION: the stack's name in the reports.
SIPLOC_EXEC_NAME=mystack SIPLOC_EXEC_VERSION=2.1-3 "$SIPLOC" run -q --sut exec:true \
  --out "$E2E_TMP/n1" "$E2E_TMP/one.lua" >/dev/null 2>&1
check "SIPLOC_EXEC_NAME/VERSION name the SUT in results.json" \
  jq -e '.sut.name == "mystack" and .sut.version == "2.1-3"' "$E2E_TMP/n1/results.json"
SIPLOC_EXEC_NAME='my stack' expect_exit 2 "a SIPLOC_EXEC_NAME that is not a word" \
  "$SIPLOC" run --sut exec:true --out "$E2E_TMP/x" "$E2E_TMP/one.lua"
check "the message names the variable" grep -q "SIPLOC_EXEC_NAME: 'my stack'" "$E2E_TMP/last.err"

finish
