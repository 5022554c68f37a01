#!/usr/bin/env bash
# Load benchmark of the minicache HTTP server (cmd/minicache), with wrk.
#
# It builds the server and a minimal net/http server that answers a fixed
# JSON body (bench/http/ceiling: the ceiling of Go's HTTP stack here), pins
# wrk to one core and the server under test to the other with taskset, and
# drives
#   - the ceiling: static GET; with the same wrk scripts as the cache runs;
#     and with cmd/minicache's http.Server timeouts;
#   - the cache: a preload of exactly KEYS keys k:1 ... (not measured),
#     GET hit (uniformly random preloaded keys), GET miss, PUT /set of new
#     keys, and DELETE of the keys the PUT run stored;
# and prints req/s, p50 and p99 latency, the server's CPU time per request
# and the ratios to the ceiling, as a Markdown table on stdout (wrk's own
# output and the commands go to stderr).
#
# Usage: bench/http.sh            (from anywhere; about 3 minutes)
# Settings (environment): KEYS=100000 preloaded keys, DURATION=10s per run
# (DELETE_DURATION=5s), CONNS=64 connections, WRK_CPU=0, SERVER_CPU=1,
# PORT=3200 (and PORT+1). Run it on an otherwise idle machine: the load
# average is printed with the results.
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-100000}
DURATION=${DURATION:-10s}
DELETE_DURATION=${DELETE_DURATION:-5s}
CONNS=${CONNS:-64}
WRK_CPU=${WRK_CPU:-0}
SERVER_CPU=${SERVER_CPU:-1}
PORT=${PORT:-3200}
CEIL_PORT=$((PORT + 1))

if ! command -v wrk >/dev/null; then
	echo "== installing wrk (Debian package)" >&2
	sudo_=""
	[ "$(id -u)" -eq 0 ] || sudo_=sudo
	$sudo_ apt-get update -qq
	$sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
command -v taskset >/dev/null || { echo "taskset (util-linux) is required" >&2; exit 1; }

tmp=$(mktemp -d)
server_pid=""
cleanup() {
	[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== building" >&2
go build -o "$tmp/minicache" ./cmd/minicache
(cd bench && go build -o "$tmp/ceiling" ./http/ceiling)

# http_get PORT PATH: prints the body of a GET, using bash's /dev/tcp.
http_get() {
	exec 3<>"/dev/tcp/127.0.0.1/$1"
	printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
	sed '1,/^\r$/d' <&3
	exec 3<&-
}

# start PORT COMMAND...: starts a server on SERVER_CPU and waits until it
# answers GET /health.
start() {
	local port=$1
	shift
	taskset -c "$SERVER_CPU" "$@" &
	server_pid=$!
	for _ in $(seq 100); do
		if http_get "$port" /health >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	echo "server on port $port did not start" >&2
	exit 1
}

# stop: stops the server started last.
stop() {
	kill "$server_pid"
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
}

# to_ms VALUE: converts a wrk latency (812.00us, 2.01ms, 1.10s) to ms.
to_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
		else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
		else printf "nan" }'
}

# cpu_ticks: user+system CPU ticks used so far by the server under test.
HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }

# bench NAME PORT DURATION [SCRIPT [ARGS...]]: runs wrk and records the
# figures in rps[NAME], p50[NAME], p99[NAME], bad[NAME] (non-2xx responses)
# and cpu[NAME], the server's CPU time per request in µs (less sensitive
# than req/s to other load on the machine).
declare -A rps p50 p99 bad cpu
bench() {
	local name=$1 port=$2 duration=$3 script=${4:-}
	local cmd=(taskset -c "$WRK_CPU" wrk -t1 -c"$CONNS" -d"$duration" --timeout 2s --latency)
	if [ -n "$script" ]; then cmd+=(-s "bench/http/$script"); fi
	cmd+=("http://127.0.0.1:$port/get/k:1")
	if [ $# -gt 4 ]; then cmd+=(-- "${@:5}"); fi
	echo "== $name: ${cmd[*]}" >&2
	local out t0 t1 n
	t0=$(cpu_ticks)
	out=$("${cmd[@]}")
	t1=$(cpu_ticks)
	echo "$out" | sed 's/^/   /' >&2
	n=$(echo "$out" | awk '/ requests in / { print $1 }')
	rps[$name]=$(echo "$out" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }')
	p50[$name]=$(to_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')")
	p99[$name]=$(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")
	bad[$name]=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ { print $5 }')
	bad[$name]=${bad[$name]:-0}
	cpu[$name]=$(awk -v t="$((t1 - t0))" -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
}

echo "== ceiling: bench/http/ceiling on CPU $SERVER_CPU" >&2
start "$CEIL_PORT" "$tmp/ceiling" -addr "127.0.0.1:$CEIL_PORT"
bench warmup "$CEIL_PORT" 3s
bench ceiling "$CEIL_PORT" "$DURATION"
bench "ceiling, GET script" "$CEIL_PORT" "$DURATION" get.lua "$KEYS"
bench "ceiling, PUT script" "$CEIL_PORT" "$DURATION" put.lua c:
stop
start "$CEIL_PORT" "$tmp/ceiling" -timeouts -addr "127.0.0.1:$CEIL_PORT"
bench "ceiling, server timeouts" "$CEIL_PORT" "$DURATION"
stop

echo "== minicache on CPU $SERVER_CPU" >&2
start "$PORT" env CACHE_PORT="$PORT" CACHE_MAX_ENTRIES=0 CACHE_LOG_LEVEL=warn "$tmp/minicache"
# The preload stores exactly KEYS keys k:1 ... k:KEYS (see put.lua), then
# only asks GET /health; it runs long enough at 30k PUTs/s.
bench preload "$PORT" "$((KEYS / 30000 + 3))s" put.lua k: "$((KEYS + 1))"
entries=$(http_get "$PORT" /stats | sed -n 's/.*"total_entries":\([0-9]*\).*/\1/p')
if [ "$entries" != "$KEYS" ]; then
	echo "preload stored $entries keys, not $KEYS: the machine is too slow or busy" >&2
	exit 1
fi
bench "GET hit" "$PORT" "$DURATION" get.lua "$KEYS"
bench "GET miss" "$PORT" "$DURATION" miss.lua
bench "PUT /set" "$PORT" "$DURATION" put.lua p:
bench "DELETE" "$PORT" "$DELETE_DURATION" del.lua p:
echo "== stats: $(http_get "$PORT" /stats)" >&2
stop

# The cost of GET /metrics' instrumentation: GET hit with CACHE_METRICS=off,
# against the run above (on, the default).
echo "== minicache with CACHE_METRICS=off" >&2
start "$PORT" env CACHE_PORT="$PORT" CACHE_MAX_ENTRIES=0 CACHE_LOG_LEVEL=warn CACHE_METRICS=off "$tmp/minicache"
bench preload-off "$PORT" "$((KEYS / 30000 + 3))s" put.lua k: "$((KEYS + 1))"
bench "GET hit, metrics off" "$PORT" "$DURATION" get.lua "$KEYS"
stop

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }

c_rps=${rps[ceiling]} c_p99=${p99[ceiling]}
echo "minicache HTTP load benchmark, $(date -u +%Y-%m-%d), $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(go version | awk '{ print $3 }')"
echo "wrk -t1 -c$CONNS -d$DURATION (DELETE: -d$DELETE_DURATION) pinned to CPU $WRK_CPU; server pinned to CPU $SERVER_CPU; $KEYS keys preloaded"
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) (other load lowers every figure)"
echo
echo "| run | req/s | p50 ms | p99 ms | req/s ÷ ceiling | p99 ÷ ceiling p99 | server CPU µs/req | non-2xx |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for name in ceiling "ceiling, GET script" "ceiling, PUT script" "ceiling, server timeouts" "GET hit" "GET miss" "PUT /set" "DELETE" "GET hit, metrics off"; do
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "${rps[$name]}" "${p50[$name]}" "${p99[$name]}" \
		"$(ratio "${rps[$name]}" "$c_rps")" "$(ratio "${p99[$name]}" "$c_p99")" "${cpu[$name]}" "${bad[$name]}"
done
echo
echo "GET miss answers 404 by design (its non-2xx count); DELETE should have none."
echo "Against the ceiling driven by the same wrk script: GET hit $(ratio "${rps["GET hit"]}" "${rps["ceiling, GET script"]}")×, PUT /set $(ratio "${rps["PUT /set"]}" "${rps["ceiling, PUT script"]}")×."
echo "Metrics on (the default) against off: GET hit $(ratio "${rps["GET hit"]}" "${rps["GET hit, metrics off"]}")×, server CPU per request ${cpu["GET hit"]} against ${cpu["GET hit, metrics off"]} µs."
echo "Against the ceiling with the server's timeouts: GET hit $(ratio "${rps["GET hit"]}" "${rps["ceiling, server timeouts"]}")×, PUT /set $(ratio "${rps["PUT /set"]}" "${rps["ceiling, server timeouts"]}")×."
