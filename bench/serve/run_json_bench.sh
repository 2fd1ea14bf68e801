#!/bin/sh
# Builds and runs the JSON codec benchmark on one core (not CI).
set -e
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${TMPDIR:-/tmp}/axon_json_bench
cc -std=c11 -O2 -D_GNU_SOURCE -I"$SRC/include" -I"$SRC/src" \
   "$SRC/bench/serve/json_bench.c" "$SRC/src/common/json.c" \
   "$SRC/src/common/alloc.c" "$SRC/src/common/error.c" "$SRC/src/common/log.c" \
   -lm -lpthread -o "$OUT"
taskset -c 0 "$OUT" "$@" 2>/dev/null || "$OUT" "$@"
