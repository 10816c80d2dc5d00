#!/usr/bin/env bash
# LeakSanitizer cannot run inside a process preloaded with libfaketime (its exit-time
# check aborts on a futex error, silently), so under `make asan` the SUT runner and the
# adapters would never be leak-checked. This runs a few scenarios that need no timer
# with the fake clock swapped for a harmless library at rate 1 (real time), so the
# runner's leak check runs; `make asan` fails on any report it writes.
set -u
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
LIBM=$(ldconfig -p | awk '/libm\.so\.6 .*x86-64/ {print $NF; exit}')
check "found libm to stand in for libfaketime ($LIBM)" test -r "$LIBM"
F=scenarios/rfc3263/4.3-failure
for sut in ref $( [ -f "$BUILD/adapters/libre.so" ] && echo libre ); do
  expect_exit 0 "$sut on the real clock: 503 failover and exhaustion" \
    env SIPLOC_FAKETIME_LIB="$LIBM" "$BUILD/siploc" run --rate 1 --sut "$sut" \
    --out "$E2E_TMP/$sut" "$F/fo-503-next-srv-target.lua" "$F/fo-exhaust-all-503.lua"
done
finish
