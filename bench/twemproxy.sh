#!/usr/bin/env bash
# bench/twemproxy.sh: redis-benchmark against one cmd/minicache server
# directly and against three of them behind twemproxy (deploy/twemproxy's
# layout), in one run, to measure what the proxy costs. The servers and
# the proxy are pinned to one CPU, redis-benchmark to another, so both
# runs get the same CPU budget: the proxy's work is taken from the servers'.
#
# Usage: bench/twemproxy.sh       (from anywhere; needs go, nutcracker,
#                                  redis-benchmark, redis-cli and taskset)
# Environment: N (requests per test, default 100000), CLIENTS (50),
# TESTS (get,set,mset), PIPELINES ("1 16"), KEYSPACE (-r, 100000),
# SERVER_CPU (0), CLIENT_CPU (1), PROXY_PORT (22131), STATS_PORT (22232),
# RESP_PORTS ("17101 17102 17103").
#
# Short by default (a few seconds a test): the machine is shared.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

N=${N:-100000}
CLIENTS=${CLIENTS:-50}
TESTS=${TESTS:-get,set,mset}
PIPELINES=${PIPELINES:-1 16}
KEYSPACE=${KEYSPACE:-100000}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
export PROXY_PORT=${PROXY_PORT:-22131}
export STATS_PORT=${STATS_PORT:-22232}
export RESP_PORTS=${RESP_PORTS:-17101 17102 17103}
read -r -a ports <<<"$RESP_PORTS"

export RUN_DIR
RUN_DIR=$(mktemp -d)
cleanup() {
  deploy/twemproxy/run.sh stop >/dev/null || true
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT

MAX_ENTRIES=0 deploy/twemproxy/run.sh start >/dev/null
for f in "$RUN_DIR"/shard*.pid "$RUN_DIR"/nutcracker.pid; do
  taskset -pc "$SERVER_CPU" "$(cat "$f")" >/dev/null
done

# rps PORT PIPELINE prints "TEST RPS" lines. redis-benchmark asks for CONFIG
# first, which the proxy refuses; it warns and goes on.
rps() {
  taskset -c "$CLIENT_CPU" redis-benchmark -p "$1" -c "$CLIENTS" -P "$2" -n "$N" -r "$KEYSPACE" \
    -t "$TESTS" --csv 2>/dev/null | awk -F, 'NR > 1 { gsub(/"/, ""); print $1 "\t" $2 }'
}

echo "redis-benchmark -c $CLIENTS -n $N -r $KEYSPACE -t $TESTS; servers and proxy on CPU $SERVER_CPU, client on CPU $CLIENT_CPU"
printf '%-18s %3s %14s %16s %7s\n' test P direct "via twemproxy" ratio
for p in $PIPELINES; do
  rps "${ports[0]}" "$p" >"$RUN_DIR/direct"
  rps "$PROXY_PORT" "$p" >"$RUN_DIR/proxy"
  join -t $'\t' <(sort "$RUN_DIR/direct") <(sort "$RUN_DIR/proxy") |
    awk -F'\t' -v p="$p" '{ printf "%-18s %3s %14.0f %16.0f %6.2fx\n", $1, p, $2, $3, $3 / $2 }'
done
echo "direct: one server; via twemproxy: three servers behind the proxy; ratio: via twemproxy / direct"
