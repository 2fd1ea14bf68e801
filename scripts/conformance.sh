#!/usr/bin/env bash
# Regenerates docs/conformance.md: builds axon_conformance (in $AXON_BUILD_DIR,
# default build/) and runs it over the ONNX backend node tests.
#   scripts/conformance.sh [DIR] [FILTER]
# The full per-case log goes to $AXON_BUILD_DIR/conformance.log.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${AXON_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j2 --target axon_conformance >/dev/null
"$build/axon_conformance" --quiet --markdown "$root/docs/conformance.md" "$@" \
    >"$build/conformance.log"
tail -n 2 "$build/conformance.log"
echo "wrote $root/docs/conformance.md (log: $build/conformance.log)"
