#!/usr/bin/env bash
# Runs the comparative benchmark suite and regenerates results/.
#
#   ./run.sh            # full suite, about 20 minutes on 2 cores (-repeats 3: 13)
#   ./run.sh -quick     # under 2 minutes, for orientation
#   ./run.sh report     # tables and charts again from results/results.jsonl
#
# Any other flag goes to cachebench (see `./run.sh -h`).
set -euo pipefail
cd "$(dirname "$0")"
go build -o bin/cachebench ./cmd/cachebench
exec bin/cachebench "$@"
