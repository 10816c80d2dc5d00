#!/usr/bin/env bash
# bench/dns.sh: queries/s of `siploc dns` (query log off, then on) against NSD serving the
# same zone, measured by dnsperf in one run, side by side, on loopback only. Not part of
# `make check`. Usage: bench/dns.sh [SECONDS_PER_RUN] [ROUNDS] (defaults 10 and 1). With
# several rounds the three servers take turns in each, and the medians are compared.
# QUOTA=P holds each server to P % of one CPU (cgroup), so the server sets the rate.
# Besides queries/s it gives each server's CPU time per query answered (user+system, from
# /proc), which says how hard the server worked even when dnsperf is what limits the rate.
# Needs Debian's dnsperf and nsd; installs them when missing (root, apt-get). NSD runs by
# hand in the foreground with a generated config in a temp dir, never as a service.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${1:-10}
ROUNDS=${2:-1}
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
PORT_SIPLOC=${PORT_SIPLOC:-35631}
PORT_NSD=${PORT_NSD:-35632}
NAMES=${NAMES:-50}    # domains in the zone, 8 records each

[[ $SECS =~ ^[0-9]+$ ]] && [ "$SECS" -ge 1 ] && [ "$SECS" -le 120 ] ||
	{ echo "dns.sh: SECONDS_PER_RUN must be 1..120" >&2; exit 2; }
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 50 ] ||
	{ echo "dns.sh: ROUNDS must be 1..50" >&2; exit 2; }
[ -x "$SIPLOC" ] || { echo "dns.sh: $SIPLOC missing: run make all" >&2; exit 2; }

missing=()
command -v dnsperf >/dev/null || missing+=(dnsperf)
[ -x /usr/sbin/nsd ] || missing+=(nsd)
if [ ${#missing[@]} -gt 0 ]; then
	echo "dns.sh: installing ${missing[*]}" >&2
	# The nsd package would start a system-wide service on port 53: forbid that while
	# installing (invoke-rc.d obeys policy-rc.d), unless the machine has a policy already.
	guard=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		guard=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null || { apt-get update -q >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"${missing[@]}" >/dev/null; }
	[ -n "$guard" ] && rm -f /usr/sbin/policy-rc.d
fi

TMP=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	# (NSD's children leave the group as they exit)
	for _ in $(seq 50); do [ -z "${CG:-}" ] || rmdir "$CG" 2>/dev/null && break; sleep 0.1; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# One zone for both servers: per domain two NAPTR, two SRV, two A, one AAAA, one TXT.
ZONE=$TMP/example.test.zone
{
	echo '$ORIGIN example.test.'
	echo '$TTL 300'
	echo '@ IN SOA ns1 hostmaster 1 3600 600 86400 60'
	echo '@ IN NS ns1'
	echo 'ns1 IN A 127.0.0.53'
	for i in $(seq 1 "$NAMES"); do
		d=d$i
		echo "$d IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.$d"
		echo "$d IN NAPTR 20 50 \"s\" \"SIP+D2T\" \"\" _sip._tcp.$d"
		echo "_sip._udp.$d IN SRV 10 60 5060 a.$d"
		echo "_sip._udp.$d IN SRV 20 40 5060 b.$d"
		echo "a.$d IN A 192.0.2.$((i % 250 + 1))"
		echo "b.$d IN A 198.51.100.$((i % 250 + 1))"
		echo "a.$d IN AAAA 2001:db8::$i"
		echo "$d IN TXT \"bench $i\""
	done
} >"$ZONE"
# The mix a SIP client sends, plus misses (NXDOMAIN) and NODATA.
QUERIES=$TMP/queries
for i in $(seq 1 "$NAMES"); do
	d=d$i.example.test
	printf '%s NAPTR\n_sip._udp.%s SRV\na.%s A\na.%s AAAA\nb.%s A\nnope%s A\n%s AAAA\n' \
		"$d" "$d" "$d" "$d" "$d" "$i.example.test" "$d"
done >"$QUERIES"

cat >"$TMP/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$PORT_NSD
	port: $PORT_NSD
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "$TMP"
	database: ""
	zonelistfile: "$TMP/zone.list"
	xfrdfile: "$TMP/xfrd.state"
	xfrdir: "$TMP"
	pidfile: "$TMP/nsd.pid"
	logfile: "$TMP/nsd.log"
	verbosity: 0
	hide-version: yes
	# Response rate limiting (on in Debian's build) would cap one client at 200 qps.
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: example.test
	zonefile: "$ZONE"
EOF

# Both servers single-threaded on CPU 1, dnsperf on CPU 0, when taskset is there.
PIN_SRV=() PIN_CLI=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	PIN_SRV=(taskset -c 1) PIN_CLI=(taskset -c 0)
fi
# QUOTA=P: each server held to P % of one CPU by a cgroup CPU quota (v1 "cpu" or v2),
# dnsperf left a whole CPU: the server, not the client, then sets the rate, which is
# what "faster" means. Without it both servers outrun one dnsperf on this kind of
# machine and the rate says little (docs/performance.md).
QUOTA=${QUOTA:-}
CG=
if [ -n "$QUOTA" ]; then
	[[ $QUOTA =~ ^[0-9]+$ ]] && [ "$QUOTA" -ge 5 ] && [ "$QUOTA" -le 100 ] ||
		{ echo "dns.sh: QUOTA must be 5..100 (% of one CPU)" >&2; exit 2; }
	if [ -d /sys/fs/cgroup/cpu ] && [ -w /sys/fs/cgroup/cpu ]; then
		CG=/sys/fs/cgroup/cpu/siploc-dns-bench-$$
		mkdir "$CG" && echo 100000 >"$CG/cpu.cfs_period_us" &&
			echo $((QUOTA * 1000)) >"$CG/cpu.cfs_quota_us"
	elif [ -w /sys/fs/cgroup/cgroup.subtree_control ]; then
		CG=/sys/fs/cgroup/siploc-dns-bench-$$
		echo +cpu >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
		mkdir "$CG" && echo "$((QUOTA * 1000)) 100000" >"$CG/cpu.max"
	else
		echo "dns.sh: QUOTA needs a writable cgroup cpu controller (root)" >&2
		exit 2
	fi || { echo "dns.sh: could not set up the cgroup $CG" >&2; exit 2; }
	# the server starts inside the group, so NSD's serving child is in it too
	PIN_SRV=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "${PIN_SRV[@]}")
fi

wait_port() { # PORT: until the server answers
	for _ in $(seq 100); do
		dig @127.0.0.1 -p "$1" +time=1 +tries=1 +short ns1.example.test A >/dev/null 2>&1 &&
			return 0
		sleep 0.05
	done
	echo "dns.sh: no server on port $1" >&2
	return 1
}

# cpu_ticks PID: user+system clock ticks of PID and all its descendants (NSD's first
# process becomes xfrd, and serves from a grandchild).
cpu_ticks() {
	local t=0 p kids
	[ -r "/proc/$1/stat" ] && t=$(sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }')
	kids=$(pgrep -P "$1" || true)
	for p in $kids; do
		t=$((t + $(cpu_ticks "$p")))
	done
	echo "$t"
}
HZ=$(getconf CLK_TCK)

perf() { # PORT PID: prints "queries/s cpu-us-per-query"
	local t0 t1
	t0=$(cpu_ticks "$2")
	"${PIN_CLI[@]}" dnsperf -s 127.0.0.1 -p "$1" -d "$QUERIES" -l "$SECS" -c 1 -q 100 \
		>"$TMP/perf.out" 2>&1 || { cat "$TMP/perf.out" >&2; return 1; }
	t1=$(cpu_ticks "$2")
	grep -q 'Queries lost: *0 ' "$TMP/perf.out" ||
		echo "dns.sh: port $1: $(grep 'Queries lost' "$TMP/perf.out" | tr -s ' ')" >&2
	awk -v dt=$((t1 - t0)) -v hz="$HZ" '
		/Queries completed:/ { done = $3 }
		/Queries per second:/ { qps = $4 }
		END { printf "%s %.2f\n", qps, done ? dt / hz * 1e6 / done : 0 }' "$TMP/perf.out"
}

run_siploc() { # LOG(0|1): prints "queries/s cpu-us-per-query"
	local args=(dns --zone "$ZONE" --listen "127.0.0.1:$PORT_SIPLOC" --exit-after $((SECS + 30)))
	[ "$1" = 1 ] && args+=(--log)
	"${PIN_SRV[@]}" "$SIPLOC" "${args[@]}" >/dev/null 2>"$TMP/siploc.log" &
	local pid=$!
	PIDS+=("$pid")
	wait_port "$PORT_SIPLOC"
	perf "$PORT_SIPLOC" "$pid"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}

echo "zone: $(grep -vc '^\$' "$ZONE") records; $(wc -l <"$QUERIES") distinct queries; ${SECS}s per run, $ROUNDS round(s)" >&2
[ -n "$QUOTA" ] && echo "server-bound: each server held to $QUOTA % of one CPU (cgroup $CG)" >&2
"${PIN_SRV[@]}" /usr/sbin/nsd -d -c "$TMP/nsd.conf" >"$TMP/nsd.out" 2>&1 &
NSD_PID=$!
PIDS+=("$NSD_PID")
wait_port "$PORT_NSD" || { cat "$TMP/nsd.out" "$TMP/nsd.log" 2>/dev/null >&2; exit 1; }

: >"$TMP/results"
for r in $(seq 1 "$ROUNDS"); do
	read -r nsd nsd_cpu < <(perf "$PORT_NSD" "$NSD_PID")
	read -r off off_cpu < <(run_siploc 0)
	read -r on on_cpu < <(run_siploc 1)
	echo "$r $nsd $off $on $nsd_cpu $off_cpu $on_cpu" >>"$TMP/results"
	[ "$ROUNDS" -gt 1 ] && awk '{ printf "round %d: NSD %.0f, log off %.0f (%.2f), log on %.0f (%.2f) queries/s\n",
		$1, $2, $3, $3 / $2, $4, $4 / $2 }' <(tail -1 "$TMP/results") >&2
done
logged=$(wc -l <"$TMP/siploc.log")

# median COLUMN: of the rounds
median() { awk -v c="$1" '{ print $c }' "$TMP/results" | sort -g | awk '{ v[NR] = $1 }
	END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
spread() { awk -v c="$1" '{ print $c }' "$TMP/results" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 }
	END { printf "%.0f-%.0f", lo, hi }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
nsd_qps=$(median 2) off_qps=$(median 3) on_qps=$(median 4)
label="queries/s"
[ "$ROUNDS" -gt 1 ] && label="median q/s"
printf '%-24s %12s %8s %14s %12s\n' "server" "$label" "vs NSD" "CPU us/query" "range"
row() { printf '%-24s %12.0f %8s %14.2f %12s\n' "$1" "$2" "$(ratio "$2" "$nsd_qps")" "$3" "$4"; }
row "NSD $(/usr/sbin/nsd -v 2>&1 | awk 'NR==1 {print $3}')" "$nsd_qps" "$(median 5)" "$(spread 2)"
row "siploc dns, log off" "$off_qps" "$(median 6)" "$(spread 3)"
row "siploc dns, log on" "$on_qps" "$(median 7)" "$(spread 4)"
echo "log on: $logged lines written in the last run; log on / log off: $(ratio "$on_qps" "$off_qps")"
