#!/usr/bin/env bash
# Installs the Debian packages siploc needs, only those missing; fast no-op when all are there.
set -euo pipefail

PKGS=(
  build-essential pkg-config
  liblua5.4-dev          # scenario language
  libfaketime faketime   # the SUT's clock
  libcmocka-dev          # unit tests
  libpcap-dev            # live capture of each scenario
  libldns-dev            # DNS wire format and zone files (fake DNS and ref)
  libjansson-dev         # results.json read and write
  libssl-dev             # TLS peers and ref's TLS
  libre-dev              # libre, a real stack (sut_adapters/libre)
  libsofia-sip-ua-dev    # sofia-sip's nta (sut_adapters/sofia)
  kamailio               # a stateful proxy, daemon adapter (sut_adapters/kamailio)
  baresip-core           # a UA driven through the exec kind (sut_adapters/baresip)
  iproute2 nftables      # namespaces, dropped SYNs
  tshark                 # pcap validation in tests
  knot-dnsutils dnsutils # kdig / dig against the fake DNS
  sip-tester             # SIPp against the peers
  jq                     # tests read results.json
  procps                 # pgrep: tests check no SUT process is left behind
  nsd                    # a real authoritative server for lint's live mode
  clang libclang-rt-14-dev # libFuzzer targets (make fuzz)
  libxml2-utils          # xmllint validates junit.xml and report.html in tests
  valgrind               # make valgrind
  chromium fonts-dejavu-core # report.html rendered headless in tests (test_report_browser.sh)
  nodejs                 # drives chromium over the DevTools pipe (tests/e2e/cdp_report.js)
)

missing=()
# dpkg-query over the whole list in one call keeps the no-op path well under a second.
while read -r name status; do
  [ "$status" = "installed" ] || missing+=("$name")
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PKGS[@]}" 2>/dev/null || true)
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" >/dev/null 2>&1 || missing+=("$p")
done
# de-duplicate
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | sed '/^$/d')
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
