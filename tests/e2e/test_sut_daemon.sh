#!/usr/bin/env bash
# Daemon adapters (sut_adapters/daemon/sut_daemon.h), through the test daemon adapter
# (sut_adapters/test/daemon.c): open() starts a Perl SIP client daemon from a generated
# file; it knows the fake DNS only through /etc/resolv.conf, which the runner bound in a
# private mount namespace. Its log is kept and forwarded, and nothing of it survives.
# It looks up A records only, so its URIs carry a port (RFC 3263 4.2: A, no SRV): the
# address invariant would rightly fail it on a URI without one.
set -u
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT

mkdir -p "$E2E_TMP/scn"
cat >"$E2E_TMP/scn/daemon-a.lua" <<'LUA'
scenario { id = "daemon-a", covers = { "FO-503" }, needs = { "udp" },
           summary = "the daemon resolves example.test via resolv.conf and sends OPTIONS" }
zone [[
$ORIGIN example.test.
@          IN A     127.0.0.2
]]
peer("127.0.0.2:5060/udp", reply(200))
local r = send{ method = "OPTIONS", uri = "sip:alice@example.test:5060" }
expect_status(r, 200)
expect_dns({ "A example.test" }, { mode = "subsequence" })
expect_route({ "127.0.0.2:5060/udp" }, { method = "OPTIONS" })
LUA
cat >"$E2E_TMP/scn/daemon-b.lua" <<'LUA'
scenario { id = "daemon-b", covers = { "FO-503" }, needs = { "udp" },
           summary = "no address for the host: the daemon reports a DNS failure" }
zone [[
$ORIGIN example.test.
other      IN A     127.0.0.2
]]
expect_status(send{ method = "OPTIONS", uri = "sip:alice@example.test:5060" }, "dns-error")
LUA
OUT=$E2E_TMP/o
expect_exit 0 "daemon adapter: both scenarios pass" "$SIPLOC" run -q --sut test-daemon --out "$OUT" "$E2E_TMP/scn"
R=$OUT/results.json
check "daemon: verdicts" jq -e '[.scenarios[].verdict] == ["pass", "pass"]' "$R"
L=$OUT/log/daemon-a.log
check "daemon: its start is in the scenario log" grep -q 'sut: test-daemon: listening on 127.0.0.1:5098' "$L"
check "daemon: resolv.conf bound for it" grep -q 'runner: /etc/resolv.conf is nameserver 127.0.0.1' "$L"
check "daemon: its outcome line is forwarded" grep -q 'test-daemon: OPTIONS sip:alice@example.test:5060 -> 127.0.0.2:5060: 200' "$L"
check "daemon: its log file is kept" grep -q 'listening on' "$OUT/work/daemon-a/test-daemon.log"
check "daemon: its generated program is kept" test -s "$OUT/work/daemon-a/daemon.pl"
check "daemon: stopped on close" grep -q '^stopping' "$OUT/work/daemon-a/test-daemon.log"
no_daemon() { ! pgrep -f "$OUT/work/daemon-./daemon.pl" >/dev/null; }
check "daemon: no daemon process left" no_daemon

finish
