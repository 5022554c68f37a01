#!/usr/bin/env bash
# Compares the library's in-package benchmarks (Get, Set, Parallel) of a base
# revision with the working tree, in one run: both test binaries are built
# first, then run alternately COUNT times, and benchstat compares them. With
# CALLGRIND=1 it also prints instructions per operation for a few benchmarks
# (valgrind; exact, unaffected by other load: the difference between 1M and
# 3M iterations).
#
#   bench/core-bench.sh 0326b4f            # base revision, COUNT=6
#   CALLGRIND=1 bench/core-bench.sh 0326b4f
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: bench/core-bench.sh BASE-REVISION}
COUNT=${COUNT:-6}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -q --detach "$work/base" "$base"
(cd "$work/base" && go test -c -o "$work/base.test" .)
go test -c -o "$work/new.test" .
command -v benchstat >/dev/null || GOFLAGS= go install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
benchstat=$(command -v benchstat || echo "$(go env GOPATH)/bin/benchstat")
pattern='Benchmark(Get|Set|Parallel)$'
for _ in $(seq "$COUNT"); do
  "$work/base.test" -test.run '^$' -test.bench "$pattern" -test.benchtime 300ms -test.benchmem >> "$work/base.txt"
  "$work/new.test" -test.run '^$' -test.bench "$pattern" -test.benchtime 300ms -test.benchmem >> "$work/new.txt"
done
"$benchstat" base="$work/base.txt" new="$work/new.txt"
if [ "${CALLGRIND:-}" = 1 ]; then
  for b in 'BenchmarkGet/int/zipf$' 'BenchmarkGet/string/zipf$' 'BenchmarkSet/int/existing$' 'BenchmarkSet/int/evicting$' 'BenchmarkSet/int/zipf$' 'BenchmarkWTinyLFU/Get/int/zipf$' 'BenchmarkWTinyLFU/Set/int/evicting$'; do
    for bin in base new; do
      r=""
      for n in 1000000x 3000000x; do
        GODEBUG=asyncpreemptoff=1 GOGC=off GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
          "$work/$bin.test" -test.run '^$' -test.bench "$b" -test.benchtime $n >/dev/null 2>"$work/cg.err"
        r="$r $(grep -o 'Collected : [0-9]*' "$work/cg.err" | awk '{print $3}')"
      done
      echo "$bin $b $r" | awk '{printf "%-4s %-28s %7.1f instructions/op\n", $1, $2, ($4-$3)/2000000}'
    done
  done
fi
