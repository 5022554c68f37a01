#!/usr/bin/env bash
# bench/resp.sh: redis-benchmark against cmd/minicache's Redis protocol
# server and against redis-server, in one run, on the same machine: each
# server pinned to one CPU, redis-benchmark to another. Every test runs
# REPEATS times against each server, alternating which goes first, so that
# both see the same drift of the machine; it prints the median requests per
# second of each and the median of the per-repeat ratios (minicache ÷
# Redis) with their range. Then it prints the RSS growth of each server
# after 1M SETs of 16-byte keys and 32-byte values.
#
# Usage: bench/resp.sh            (from anywhere; needs go, redis-server,
#                                  redis-benchmark, redis-cli and taskset)
# Environment: N (requests per test, default 1000000), REPEATS (5),
# CLIENTS (50), TESTS (set,get,incr,mset), PIPELINES ("1 16"; "" skips the
# throughput runs), KEYSPACE (-r, 1000000), SERVER_CPU (0), CLIENT_CPU (1),
# MC_PORT (16379), REDIS_PORT (16380), RSS_KEYS (1000000; 0 skips the
# memory test).
#
# Do not run it while other work shares the machine: the numbers are only as
# good as the idle CPUs under them.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

N=${N:-1000000}
REPEATS=${REPEATS:-5}
CLIENTS=${CLIENTS:-50}
TESTS=${TESTS:-set,get,incr,mset}
PIPELINES=${PIPELINES-1 16}
KEYSPACE=${KEYSPACE:-1000000}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
MC_PORT=${MC_PORT:-16379}
REDIS_PORT=${REDIS_PORT:-16380}
RSS_KEYS=${RSS_KEYS:-1000000}

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/minicache" ./cmd/minicache

start_servers() {
  CACHE_HOST=127.0.0.1 CACHE_PORT=0 CACHE_RESP_PORT=$MC_PORT CACHE_MAX_ENTRIES=0 \
    CACHE_CLEANUP_INTERVAL=0 CACHE_LOG_LEVEL=warn \
    taskset -c "$SERVER_CPU" "$tmp/minicache" &
  MC_PID=$!
  pids+=("$MC_PID")
  taskset -c "$SERVER_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
    --appendonly no --dir "$tmp" --loglevel warning >/dev/null &
  REDIS_PID=$!
  pids+=("$REDIS_PID")
  for port in "$MC_PORT" "$REDIS_PORT"; do
    for _ in $(seq 100); do
      redis-cli -p "$port" PING >/dev/null 2>&1 && break
      sleep 0.05
    done
    redis-cli -p "$port" PING >/dev/null
  done
}

# rps PORT PIPELINE TEST prints the requests per second of one test.
rps() {
  taskset -c "$CLIENT_CPU" redis-benchmark -p "$1" -c "$CLIENTS" -P "$2" -n "$N" -r "$KEYSPACE" \
    -t "$3" --csv | awk -F, 'NR == 2 { gsub(/"/, ""); print $2 }'
}

stop_servers() {
  kill "$MC_PID" "$REDIS_PID" 2>/dev/null || true
  wait "$MC_PID" "$REDIS_PID" 2>/dev/null || true
}

start_servers
echo "redis-benchmark -c $CLIENTS -n $N -r $KEYSPACE, $REPEATS alternating repeats; server on CPU $SERVER_CPU, client on CPU $CLIENT_CPU"
printf '%-8s %3s %12s %12s %7s %15s\n' test P minicache redis ratio 'ratio range'
for p in $PIPELINES; do
  for t in ${TESTS//,/ }; do
    : >"$tmp/runs"
    for i in $(seq "$REPEATS"); do
      if [ $((i % 2)) -eq 1 ]; then
        m=$(rps "$MC_PORT" "$p" "$t"); r=$(rps "$REDIS_PORT" "$p" "$t")
      else
        r=$(rps "$REDIS_PORT" "$p" "$t"); m=$(rps "$MC_PORT" "$p" "$t")
      fi
      echo "$m $r" >>"$tmp/runs"
    done
    # Medians of each column and of the per-repeat ratios.
    awk -v t="$t" -v p="$p" '
      function median(a, n,   i, j, x) {
        for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      }
      { n++; m[n] = $1; r[n] = $2; q[n] = $1 / $2 }
      END {
        mm = median(m, n); mr = median(r, n); mq = median(q, n)
        printf "%-8s %3s %12.0f %12.0f %6.2fx %7.2f-%.2fx\n", toupper(t), p, mm, mr, mq, q[1], q[n]
      }' "$tmp/runs"
  done
done

if [ "$RSS_KEYS" -gt 0 ]; then
  # Fresh servers, so that the garbage of the runs above is not counted.
  stop_servers
  start_servers
  rss() { ps -o rss= -p "$1" | tr -d ' '; }
  echo
  echo "RSS growth after $RSS_KEYS SETs of 16-byte keys and 32-byte values (KiB):"
  for server in minicache redis; do
    if [ "$server" = minicache ]; then port=$MC_PORT pid=$MC_PID; else port=$REDIS_PORT pid=$REDIS_PID; fi
    redis-cli -p "$port" FLUSHALL >/dev/null
    before=$(rss "$pid")
    awk -v n="$RSS_KEYS" 'BEGIN { for (i = 0; i < n; i++) printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$32\r\n%032d\r\n", i, i }' |
      redis-cli -p "$port" --pipe >/dev/null
    after=$(rss "$pid")
    printf '%-10s keys=%s before=%s after=%s growth=%s\n' "$server" "$(redis-cli -p "$port" DBSIZE)" "$before" "$after" $((after - before))
  done
fi
