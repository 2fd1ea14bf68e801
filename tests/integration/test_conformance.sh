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
tmp="$(mktemp -d)"
trap 'rm -rf "$log" "$tmp"' EXIT

# The runner itself must tell PASS from FAIL and UNSUPPORTED: a synthetic
# suite with one right, one wrong and one unsupported case.
/usr/bin/python3 - "$tmp" <<'PYEOF'
import os, sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto as TP
root = sys.argv[1]
def case(name, op, want_fn):
    d = os.path.join(root, name, "test_data_set_0")
    os.makedirs(d)
    g = helper.make_graph([helper.make_node(op, ["x"], ["y"])], name,
        [helper.make_tensor_value_info("x", TP.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TP.FLOAT, [2, 3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.save(m, os.path.join(root, name, "model.onnx"))
    x = np.array([[-1, 2, -3], [4, -5, 6]], np.float32)
    open(os.path.join(d, "input_0.pb"), "wb").write(numpy_helper.from_array(x, "x").SerializeToString())
    open(os.path.join(d, "output_0.pb"), "wb").write(numpy_helper.from_array(want_fn(x), "y").SerializeToString())
case("test_relu_ok", "Relu", lambda x: np.maximum(x, 0))
case("test_relu_wrong", "Relu", lambda x: np.maximum(x, 0) + np.float32(0.01))
case("test_nosuchop", "NoSuchOpXyz", lambda x: x)
PYEOF
"$runner" "$tmp" >"$log"
cat "$log"
self_ok=1
grep -q '^PASS .*test_relu_ok' "$log" || self_ok=0
grep -q '^FAIL .*test_relu_wrong: .*max abs error' "$log" || self_ok=0
grep -q '^UNSUPPORTED .*test_nosuchop' "$log" || self_ok=0
grep -q '^total 3: PASS 1, FAIL 1, UNSUPPORTED 1, ERROR 0, CRASH 0' "$log" || self_ok=0
if [ $self_ok = 0 ]; then echo "FAIL: runner self-check"; echo "0 passed, 1 failed"; exit 1; fi
echo "runner self-check ok"
"$runner" --quiet "$data" >"$log"
grep -E '^(CRASH|TIMEOUT) ' "$log" || true
# Re-run each crashed case without --quiet so its sanitizer report shows.
for t in $(sed -n 's/^CRASH *\(test_[A-Za-z0-9_]*\):.*/\1/p' "$log" | head -5); do
    echo "---- $t (stderr) ----"
    "$runner" "$data" "$t" 2>&1 | tail -40 || true
done
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
