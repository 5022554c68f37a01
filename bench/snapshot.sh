#!/usr/bin/env bash
# Times saving and loading N entries (16-byte keys, 32-byte values): minicache's
# snapshot (bench/cmd/snapbench, as cmd/minicache saves: fsync and rename included)
# and redis-server's SAVE and RDB load of the same keys and values, in one run
# on the same machine, each pinned to CPU 1.
#
#   bench/snapshot.sh            # N = 1,000,000
#   N=100000 bench/snapshot.sh
set -euo pipefail
cd "$(dirname "$0")"
N=${N:-1000000}
command -v redis-server >/dev/null || { echo "snapshot.sh: redis-server is not installed (apt-get install redis-server redis-tools)" >&2; exit 2; }
work=$(mktemp -d)
port=$(( 20000 + RANDOM % 20000 ))
cleanup() { redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/snapbench" ./cmd/snapbench
echo "== minicache (N=$N)"
taskset -c 1 "$work/snapbench" -n "$N" -dir "$work"

echo "== redis-server $(redis-server --version | awk '{print $3}')"
start_redis() {
  taskset -c 1 redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$work" --dbfilename dump.rdb --logfile "$work/redis.log" --daemonize yes
  for _ in $(seq 1 200); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.05; done
  echo "redis-server did not start" >&2; exit 1
}
start_redis
# The same keys and values as snapbench, sent as RESP through redis-cli --pipe.
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) { k = sprintf("key:%012d", i); v = sprintf("value:%026d", i);
  printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v } }' |
  redis-cli -p "$port" --pipe >/dev/null
echo "redis keys: $(redis-cli -p "$port" dbsize)"
t0=$(date +%s.%N); redis-cli -p "$port" save >/dev/null; t1=$(date +%s.%N)
echo "redis SAVE: $(echo "$t1 - $t0" | bc) s, $(stat -c %s "$work/dump.rdb") bytes"
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
sleep 0.2
: > "$work/redis.log"
start_redis
for _ in $(seq 1 200); do grep -q 'DB loaded from disk' "$work/redis.log" && break; sleep 0.05; done
grep -o 'DB loaded from disk: [0-9.]* seconds' "$work/redis.log" | sed 's/DB loaded from disk: /redis RDB load: /; s/ seconds/ s/'
