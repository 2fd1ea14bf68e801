#!/usr/bin/env bash
# Gate on ONNX conformance: runs axon_conformance over the whole backend node
# suite and fails when the pass rate is below 50% or any case crashed.
set -euo pipefail
build="${AXON_BUILD_DIR:?AXON_BUILD_DIR not set}"
runner="$build/axon_conformance"
data="${AXON_CONFORMANCE_DIR:-/usr/share/libonnx-testdata/data/node}"
[ -x "$runner" ] || { echo "FAIL: $runner not built"; exit 1; }
[ -d "$data" ] || { echo "FAIL: $data missing (apt-get install libonnx-testdata)"; exit 1; }
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
"$runner" --quiet "$data" >"$log"
grep -E '^(CRASH|TIMEOUT) ' "$log" || true
totals="$(grep '^total ' "$log")"
rate="$(sed -n 's/^pass rate: \([0-9.]*\)%$/\1/p' "$log")"
echo "$totals"
echo "pass rate: $rate%"
crashes="$(grep -c '^CRASH ' "$log" || true)"
ok=1
if [ "$crashes" != "0" ]; then echo "FAIL: $crashes crashed case(s)"; ok=0; fi
if ! awk -v r="$rate" 'BEGIN { exit !(r + 0 >= 50) }'; then
    echo "FAIL: pass rate $rate% is below 50%"; ok=0
fi
if [ $ok = 1 ]; then echo "1 passed, 0 failed"; exit 0; fi
echo "0 passed, 1 failed"; exit 1
