#!/usr/bin/env bash
# Compares one cache of the suite at a base revision with the working tree,
# side by side: both cachebench binaries are built first, then every cell
# runs alternately (base, new, base, new, ...) ROUNDS times in fresh child
# processes, and the medians and their ratio are printed, with the median
# cache-line round trip of each cell's windows (near < 250 ns <= far).
#
#   bench/cache-ab.sh 3f60016                               # minicache-wtinylfu
#   CACHE=minicache ROUNDS=5 MIXES="100 75" bench/cache-ab.sh 3f60016
set -euo pipefail
cd "$(dirname "$0")"
base=${1:?usage: bench/cache-ab.sh BASE-REVISION}
CACHE=${CACHE:-minicache-wtinylfu}
ROUNDS=${ROUNDS:-3}
MIXES=${MIXES:-100 75 0}
KEYS=${KEYS:-int string}
GOROUTINES=${GOROUTINES:-2 8}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -q --detach "$work/base" "$base"
(cd "$work/base/bench" && go build -o "$work/base.bin" ./cmd/cachebench)
go build -o "$work/new.bin" ./cmd/cachebench
for keys in $KEYS; do
  for g in $GOROUTINES; do
    for mix in $MIXES; do
      unit=$(printf '{"workload":"throughput","cache":"%s","keys":"%s","read_pct":%d,"goroutines":%d,"capacity":100000,"trace_len":2097152,"warmup":100000000,"duration":500000000}' "$CACHE" "$keys" "$mix" "$g")
      for _ in $(seq "$ROUNDS"); do
        for bin in base new; do
          out=$("$work/$bin.bin" child -unit "$unit" 2>/dev/null | grep -o '"ops_per_sec":[0-9.e+]*,"pingpong_ns":[0-9.]*' | tr -d '"a-z_:' | tr ',' ' ')
          echo "$keys g=$g $mix/$((100 - mix)) $bin $out"
        done
      done
    done
  done
done > "$work/raw.txt"
awk '
{ cell = $1 " " $2 " " $3; n[cell, $4]++; v[cell, $4, n[cell, $4]] = $5 / 1e6; p[cell, $4, n[cell, $4]] = $6
  if (!(cell in seen)) { seen[cell] = 1; order[++cells] = cell } }
function median(cell, bin, what,   i, j, t, a, m) {
  m = n[cell, bin]
  for (i = 1; i <= m; i++) a[i] = (what == "v") ? v[cell, bin, i] : p[cell, bin, i]
  for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
  return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
END {
  printf "%-24s %10s %10s %7s %14s\n", "cell", "base M/s", "new M/s", "new/base", "round trip ns"
  for (c = 1; c <= cells; c++) {
    cell = order[c]; b = median(cell, "base", "v"); w = median(cell, "new", "v")
    printf "%-24s %10.2f %10.2f %7.2f %6.0f %6.0f\n", cell, b, w, w / b, median(cell, "base", "p"), median(cell, "new", "p")
  }
}' "$work/raw.txt"
