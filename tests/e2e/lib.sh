# Shared helpers for the e2e scripts: assertions that name what failed, and a counter.
E2E_PASS=0
E2E_FAIL=0
ok()   { E2E_PASS=$((E2E_PASS + 1)); echo "  ok   $*"; }
bad()  { E2E_FAIL=$((E2E_FAIL + 1)); echo "  FAIL $*"; }
# check "description" command...: passes when the command succeeds.
check() { local d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else bad "$d"; fi; }
# expect_exit N "description" command...
expect_exit() {
  local want=$1 d=$2; shift 2
  "$@" >"$E2E_TMP/last.out" 2>"$E2E_TMP/last.err"; local got=$?
  if [ "$got" -eq "$want" ]; then ok "$d (exit $got)"; else
    bad "$d: exit $got, wanted $want"; sed 's/^/       | /' "$E2E_TMP/last.err" | tail -5; fi
}
finish() {
  echo "$(basename "$0" .sh): $E2E_PASS passed, $E2E_FAIL failed"
  [ "$E2E_FAIL" -eq 0 ]
}
# peer_driver_build BIN: (re)builds tests/e2e/peer_driver.c with the peer sources when
# any is newer than BIN; ASan flags when $BUILD is an asan tree. Returns non-zero on failure.
peer_driver_build() {
  local bin=$1 stale=0 san=
  local srcs=(tests/e2e/peer_driver.c harness/sl_peer.c harness/sl_peer_tcp.c harness/sl_netfault.c
    harness/sl_sipmsg.c harness/sl_loop.c harness/sl_evlog.c harness/sl_addr.c
    harness/sl_clock.c harness/sl_capture.c harness/sl_tls.c)
  [ -x "$bin" ] || stale=1
  for f in "${srcs[@]}" harness/*.h; do [ "$f" -nt "$bin" ] && stale=1; done
  case "${BUILD:-build}" in *asan*) san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" ;; esac
  [ $stale = 1 ] || return 0
  mkdir -p "$(dirname "$bin")"
  # shellcheck disable=SC2086 # flag lists
  gcc -std=gnu11 -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE -I. -Iharness $san \
    "${srcs[@]}" $(pkg-config --cflags --libs libpcap openssl) -lm -o "$bin"
}
