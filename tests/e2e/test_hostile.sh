#!/usr/bin/env bash
# Hostile scenarios (tests/data/hostile): endless loops (also under pcall), unbounded
# memory, io/os/require/load/debug/string.dump, odd yields, error(table). Each is stopped
# with an error naming its file (and line where Lua knows it) and the run goes on: a good
# scenario next to them still passes.
set -u
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
H=tests/data/hostile
mkdir -p "$E2E_TMP/in"
cp "$H"/*.lua "$E2E_TMP/in/"
rm "$E2E_TMP/in/preloop.lua"  # checked on its own below: it breaks the declaration pass
cp scenarios/rfc3263/4.3-failure/fo-503-next-srv-target.lua "$E2E_TMP/in/"
expect_exit 1 "a run of hostile scenarios ends (exit 1: errors)" "$SIPLOC" run --timeout 3 --out "$E2E_TMP/o" "$E2E_TMP/in"
R=$E2E_TMP/o/results.json
reason() { jq -r --arg id "$1" '.scenarios[] | select(.id == $id) | .verdict + " " + .reason' "$R"; }
want() { # id, regexp the reason must match
  local got; got=$(reason "$1")
  if printf '%s' "$got" | grep -qE "^error .*$2"; then ok "$1: $got"; else bad "$1: got '$got', want error matching '$2'"; fi
}
want hostile-loop     'loop.lua:2: (instruction limit|the script ran past)'
want hostile-mem      'mem.lua:3: (not enough memory|the script ran past its time limit)'
want hostile-mempcall 'mempcall.lua:[0-9]+: (the script ran past its time limit|instruction limit)'
want hostile-debug    "debug.lua:2: .*'debug'"
want hostile-dump     "dump.lua:2: .*'dump'"
want hostile-load     "load.lua:2: .*'load'"
want hostile-io       "io.lua:2: .*'io'"
want hostile-require  "require.lua:2: .*'require'"
want hostile-yield    'yield.lua: attempt to yield from outside a coroutine'
want hostile-errtab   'errtab.lua: error object is not a string'
check "the good scenario beside them passed" jq -e '[.scenarios[] | select(.id == "fo-503-next-srv-target") | .verdict] == ["pass"]' "$R"
check "its pcap was written" test -s "$E2E_TMP/o/pcap/fo-503-next-srv-target.pcap"
# Code before scenario{} runs while siploc reads declarations: it is bounded too.
expect_exit 2 "a loop before scenario{} is an input error" "$SIPLOC" list "$H/preloop.lua"
check "it names the file and line" grep -qE 'preloop.lua:1: (instruction limit|the script ran past)' "$E2E_TMP/last.err"
finish
