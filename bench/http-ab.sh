#!/usr/bin/env bash
# bench/http-ab.sh: GET hit throughput and p99 of the bare net/http ceiling,
# of cmd/minicache as built from BASE (a git revision) and of cmd/minicache
# as it is in the work tree, in alternating rounds on the same machine, so
# that all three see the same drift. bench/http.sh gives the full table
# (GET miss, PUT, DELETE, metrics off) but runs each server once, and this
# shared machine drifts by 20% between its runs; this script measures a
# change side by side.
#
# Usage: bench/http-ab.sh [BASE] (default HEAD~1; needs go, git, wrk and taskset;
# about 2 minutes)
# Environment: ROUNDS (3), KEYS (100000 preloaded), DURATION (8s), CONNS (64),
# WRK_CPU (0), SERVER_CPU (1), PORT (3310).
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${1:-HEAD~1}
ROUNDS=${ROUNDS:-3}
KEYS=${KEYS:-100000}
DURATION=${DURATION:-8s}
CONNS=${CONNS:-64}
WRK_CPU=${WRK_CPU:-0}
SERVER_CPU=${SERVER_CPU:-1}
PORT=${PORT:-3310}

tmp=$(mktemp -d)
pid=""
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	wait 2>/dev/null || true
	git worktree remove --force "$tmp/base" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

git worktree add --detach "$tmp/base" "$BASE" >/dev/null 2>&1
(cd "$tmp/base" && go build -o "$tmp/minicache-base" ./cmd/minicache)
go build -o "$tmp/minicache" ./cmd/minicache
(cd bench && go build -o "$tmp/ceiling" ./http/ceiling)

up() {
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	echo "server did not start" >&2
	exit 1
}

echo "GET hit, wrk -t1 -c$CONNS -d$DURATION, $KEYS keys; base $(git rev-parse --short "$BASE"), $ROUNDS alternating rounds"
printf '%-6s %-15s %10s %8s %9s %9s\n' round server req/s p99 '÷ceiling' 'p99÷ceil'
servers=(ceiling minicache-base minicache)
for r in $(seq "$ROUNDS"); do
	# Rotate the order each round, so that drift within a round favours no
	# server. The ceiling's figures of the round are the reference, so its
	# row comes first in the output whatever the order of the runs.
	order=("${servers[@]:$(((r - 1) % 3))}" "${servers[@]:0:$(((r - 1) % 3))}")
	declare -A rps_of=() p99_of=()
	for s in "${order[@]}"; do
		if [ "$s" = ceiling ]; then
			taskset -c "$SERVER_CPU" "$tmp/ceiling" -addr "127.0.0.1:$PORT" &
		else
			CACHE_PORT=$PORT CACHE_MAX_ENTRIES=0 CACHE_LOG_LEVEL=warn taskset -c "$SERVER_CPU" "$tmp/$s" &
		fi
		pid=$!
		up
		if [ "$s" != ceiling ]; then
			taskset -c "$WRK_CPU" wrk -t1 -c"$CONNS" -d"$((KEYS / 30000 + 3))s" -s bench/http/put.lua \
				"http://127.0.0.1:$PORT/get/k:1" -- k: "$((KEYS + 1))" >/dev/null
		fi
		out=$(taskset -c "$WRK_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s bench/http/get.lua \
			"http://127.0.0.1:$PORT/get/k:1" -- "$KEYS")
		kill "$pid"
		wait "$pid" 2>/dev/null || true
		pid=""
		rps=$(echo "$out" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }')
		p99=$(echo "$out" | awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else { sub(/s$/, "", v); v *= 1000 }; printf "%.2f", v }')
		rps_of[$s]=$rps p99_of[$s]=$p99
	done
	for s in "${servers[@]}"; do
		awk -v r="$r" -v s="$s" -v a="${rps_of[$s]}" -v p="${p99_of[$s]}" -v ca="${rps_of[ceiling]}" -v cp="${p99_of[ceiling]}" \
			'BEGIN { printf "%-6s %-15s %10d %8.2f %8.2fx %8.2fx\n", r, s, a, p, a / ca, p / cp }'
	done
done
