#!/usr/bin/env bash
# Engine benchmark: Axon vs ONNX Runtime (onnxruntime-node) vs PyTorch
# (Debian, eager) on ResNet-50 batch 1 and 8 and MobileNetV2 batch 1, all
# with 2 threads, median over RUNS timed runs after WARMUP warm-up runs.
#   bench/engine/run.sh [RUNS] [WARMUP]      (defaults 20 and 5)
# Env: AXON_BIN (default build/axon), THREADS (default 2).
# Prints each system's median, the Axon/ORT and Axon/PyTorch ratios, load
# time and peak RSS as a Markdown table; raw JSON lines are kept in
# bench/out/engine-<date>.jsonl. Each measurement runs in its own process so
# that peak RSS belongs to one system and one model.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runs="${1:-20}"
warmup="${2:-5}"
threads="${THREADS:-2}"
axon="${AXON_BIN:-$root/build/axon}"
models="$root/tests/models/generated"
out="$root/bench/out"
mkdir -p "$out"
res="$out/engine-$(date -u +%Y%m%dT%H%M%S).jsonl"

[ -x "$axon" ] || { echo "run.sh: $axon not built (cmake --build build)" >&2; exit 1; }
/usr/bin/python3 "$root/scripts/export_models.py" --out "$models" \
    --models resnet50,mobilenetv2 --batches 1 >&2
if [ ! -d "$root/bench/node_modules/onnxruntime-node" ]; then
    # --ignore-scripts: the package's install script tries a CUDA download
    (cd "$root/bench" && npm install --ignore-scripts --no-save --no-audit \
        --no-fund onnxruntime-node >&2)
fi

load0="$(cut -d" " -f1-3 /proc/loadavg)"
tag() { /usr/bin/python3 -c 'import json,sys; o=json.loads(sys.stdin.read()); o["config"]=sys.argv[1]; o["system"]=sys.argv[2]; print(json.dumps(o))' "$1" "$2"; }

for cfg in "resnet50 1" "resnet50 8" "mobilenetv2 1"; do
    set -- $cfg
    m="$1" b="$2" c="$1 b$2"
    echo "== $c: axon" >&2
    "$axon" bench "$models/$m.onnx" --batch "$b" --threads "$threads" \
        --runs "$runs" --warmup "$warmup" --json | tag "$c" axon >>"$res"
    echo "== $c: onnxruntime" >&2
    node "$here/ort_bench.js" "$models/$m.onnx" "$b" "$runs" "$warmup" "$threads" \
        | tag "$c" onnxruntime >>"$res"
    echo "== $c: pytorch" >&2
    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 "$here/torch_bench.py" "$m" "$b" \
        "$runs" "$warmup" "$threads" | tag "$c" pytorch >>"$res"
done
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) vCPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), threads $threads, median of $runs runs after $warmup warm-up, load average before the run: $load0"
/usr/bin/python3 "$here/report.py" "$res"
