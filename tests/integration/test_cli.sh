#!/usr/bin/env bash
# CLI tests: `axon run`, `axon inspect`, `axon bench` on tiny models built
# with onnx.helper at test time, checking computed values, and every error
# path: non-zero exit and exactly one stderr line "axon: <cmd>: <reason>".
set -uo pipefail
AXON="${AXON_BIN:?AXON_BIN not set}"
PY=/usr/bin/python3
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# ---- fixtures ----
$PY - "$T" <<'PYEOF' || { echo "FAIL fixtures"; echo "0 passed, 1 failed"; exit 1; }
import sys, json, numpy as np, onnx
from onnx import helper, TensorProto as TP
d = sys.argv[1]
# two inputs a, b [N,3] -> sum = a + b, "out/relu" = Relu(sum)
g = helper.make_graph(
    [helper.make_node("Add", ["a", "b"], ["sum"]),
     helper.make_node("Relu", ["sum"], ["out/relu"])], "two",
    [helper.make_tensor_value_info("a", TP.FLOAT, ["N", 3]),
     helper.make_tensor_value_info("b", TP.FLOAT, ["N", 3])],
    [helper.make_tensor_value_info("sum", TP.FLOAT, ["N", 3]),
     helper.make_tensor_value_info("out/relu", TP.FLOAT, ["N", 3])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="axon-test")
m.ir_version = 7
onnx.save(m, d + "/two.onnx")
# one input x [2,3] -> y = x * w (w an initializer)
w = helper.make_tensor("w", TP.FLOAT, [3], [1.0, 2.0, 3.0])
g = helper.make_graph([helper.make_node("Mul", ["x", "w"], ["y"])], "one",
    [helper.make_tensor_value_info("x", TP.FLOAT, [2, 3])],
    [helper.make_tensor_value_info("y", TP.FLOAT, [2, 3])], [w])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 7
onnx.save(m, d + "/one.onnx")
# an op nobody implements
g = helper.make_graph([helper.make_node("NoSuchOpXyz", ["x"], ["y"])], "bad",
    [helper.make_tensor_value_info("x", TP.FLOAT, [2])],
    [helper.make_tensor_value_info("y", TP.FLOAT, [2])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 7
onnx.save(m, d + "/unsupported.onnx")
a = np.array([[1, -2, 3], [-4, 5, -6]], np.float32)
b = np.array([[0.5, 0.5, 0.5], [1, 1, 1]], np.float32)
np.save(d + "/a.npy", a)
np.save(d + "/b.npy", b)
np.save(d + "/a64.npy", a.astype(np.float64))
np.save(d + "/a_wide.npy", np.zeros((2, 4), np.float32))
np.save(d + "/a_fortran.npy", np.asfortranarray(a.T.copy().T))
with open(d + "/a_fortran.npy", "r+b") as f:   # force the flag on
    data = f.read().replace(b"'fortran_order': False", b"'fortran_order': True ")
    f.seek(0); f.write(data)
np.save(d + "/a_be.npy", a.astype(">f4"))
with open(d + "/garbage.npy", "wb") as f:
    f.write(b"this is not a npy file at all")
json.dump([[1, 2, 3], [4, 5, 6.5]], open(d + "/x.json", "w"))
open(d + "/ragged.json", "w").write("[[1, 2, 3], [4, 5]]")
open(d + "/notmodel.onnx", "wb").write(b"\xff\xff\xff\xff garbage")
PYEOF

# expect_fail NAME CMD ARGS...: non-zero exit, one stderr line "axon: CMD: ..."
expect_fail() {
    local name="$1" cmd="$2"
    shift 2
    "$AXON" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    local lines
    lines=$(wc -l <"$T/err")
    if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && grep -q "^axon: $cmd" "$T/err"; then
        ok "$name: $(cat "$T/err")"
    else
        bad "$name (rc=$rc, $lines stderr lines): $(head -c 400 "$T/err")"
    fi
}
# expect_msg NAME PATTERN: the last failure's message matches PATTERN
expect_msg() {
    if grep -qE "$2" "$T/err"; then ok "$1"; else bad "$1: '$(cat "$T/err")' lacks /$2/"; fi
}

# ---- global ----
"$AXON" --help >"$T/out" 2>&1 && grep -q "run" "$T/out" && grep -q "inspect" "$T/out" \
    && grep -q "bench" "$T/out" && ok "--help" || bad "--help"
"$AXON" --version >"$T/out" 2>&1 && grep -qE "^axon [0-9]+\.[0-9]+" "$T/out" && ok "--version" || bad "--version"
for c in run inspect bench; do
    "$AXON" $c --help >"$T/out" 2>&1 && grep -q "usage: axon $c" "$T/out" && ok "$c --help" || bad "$c --help"
done
expect_fail "unknown command" "unknown command" frobnicate
expect_fail "unknown global option" "unknown option" --frob

# ---- run: values ----
if "$AXON" run "$T/two.onnx" --input a="$T/a.npy" --input "b=$T/b.npy" --output-dir "$T/out2" >"$T/stdout" 2>"$T/err"; then
    $PY - "$T" <<'PYEOF' && ok "run two inputs: values" || bad "run two inputs: values"
import sys, os, numpy as np
d = sys.argv[1]
a, b = np.load(d + "/a.npy"), np.load(d + "/b.npy")
s = np.load(d + "/out2/sum.npy")
r = np.load(d + "/out2/out_relu.npy")   # "out/relu" sanitized
assert s.dtype == np.float32 and s.shape == (2, 3), (s.dtype, s.shape)
assert np.array_equal(s, a + b), s
assert np.array_equal(r, np.maximum(a + b, 0)), r
out = open(d + "/stdout").read()
assert "sum: float [2,3] [1.5, -1.5, 3.5" in out, out
assert "out/relu: float [2,3]" in out, out
PYEOF
else
    bad "run two inputs: $(cat "$T/err")"
fi
if "$AXON" run "$T/one.onnx" --input "$T/a.npy" --output-dir "$T/out1" >"$T/stdout" 2>"$T/err"; then
    $PY -c "
import numpy as np, sys
y = np.load('$T/out1/y.npy'); a = np.load('$T/a.npy')
sys.exit(0 if np.array_equal(y, a * np.array([1, 2, 3], np.float32)) else 1)" \
        && ok "run single input without NAME" || bad "run single input without NAME: wrong values"
else
    bad "run single input without NAME: $(cat "$T/err")"
fi
if "$AXON" run "$T/one.onnx" --input "x=$T/x.json" --output-dir "$T/outj" >"$T/stdout" 2>"$T/err"; then
    $PY -c "
import numpy as np, sys
y = np.load('$T/outj/y.npy')
sys.exit(0 if np.allclose(y, [[1, 4, 9], [4, 10, 19.5]]) and y.dtype == np.float32 else 1)" \
        && ok "run .json input" || bad "run .json input: wrong values"
else
    bad "run .json input: $(cat "$T/err")"
fi
"$AXON" run "$T/one.onnx" --input "$T/a.npy" --reference >"$T/stdout" 2>"$T/err" \
    && grep -q "y: float \[2,3\] \[1, -4, 9, -4, 10, -18\]" "$T/stdout" \
    && ok "run --reference" || bad "run --reference: $(cat "$T/stdout" "$T/err")"

# ---- run: errors ----
expect_fail "run no model" "run: missing MODEL" run
expect_fail "run model missing" "run: cannot load" run "$T/nope.onnx" --input "$T/a.npy"
expect_fail "run model garbage" "run: cannot load" run "$T/notmodel.onnx" --input "$T/a.npy"
expect_fail "run missing input" "run: missing input 'b'" run "$T/two.onnx" --input "a=$T/a.npy"
expect_msg "missing input says dtype and shape" "float \[N,3\]"
expect_fail "run unknown input name" "run: unknown input name 'c'" run "$T/two.onnx" --input "a=$T/a.npy" --input "c=$T/b.npy"
expect_msg "unknown input lists inputs" "a, b"
expect_fail "run no NAME on 2-input model" "run: --input" run "$T/two.onnx" --input "$T/a.npy"
expect_fail "run input twice" "run: input 'a' given twice" run "$T/two.onnx" --input "a=$T/a.npy" --input "a=$T/b.npy"
expect_fail "run wrong dtype" "run: input 'x'" run "$T/one.onnx" --input "x=$T/a64.npy"
expect_msg "wrong dtype says expected vs got" "dtype double, model expects float"
expect_fail "run wrong shape" "run: input 'x'" run "$T/one.onnx" --input "x=$T/a_wide.npy"
expect_msg "wrong shape says expected vs got" "shape \[2,4\], model expects \[2,3\]"
expect_fail "run unreadable file" "run: input 'x'" run "$T/one.onnx" --input "x=$T/missing.npy"
expect_msg "unreadable file named" "cannot open"
expect_fail "run garbage npy" "run: input 'x'" run "$T/one.onnx" --input "x=$T/garbage.npy"
expect_fail "run fortran npy" "run: input 'x'" run "$T/one.onnx" --input "x=$T/a_fortran.npy"
expect_msg "fortran refused clearly" "fortran_order"
expect_fail "run big-endian npy" "run: input 'x'" run "$T/one.onnx" --input "x=$T/a_be.npy"
expect_msg "big-endian refused clearly" "big-endian"
expect_fail "run ragged json" "run: input 'x'" run "$T/one.onnx" --input "x=$T/ragged.json"
expect_fail "run bad --threads" "run: --threads" run "$T/one.onnx" --input "$T/a.npy" --threads abc
expect_fail "run unknown option" "run: unknown option" run "$T/one.onnx" --bogus
expect_fail "run --input without value" "run: option --input needs" run "$T/one.onnx" --input
"$AXON" run "$T/one.onnx" --input "$T/a.npy" --output-dir "$T/deep/er/dir" >/dev/null 2>"$T/err" \
    && [ -f "$T/deep/er/dir/y.npy" ] && ok "run --output-dir creates parents" || bad "run --output-dir parents: $(cat "$T/err")"
expect_fail "run output dir is a file" "run: cannot create" run "$T/one.onnx" --input "$T/a.npy" --output-dir "$T/a.npy"
expect_fail "run unwritable output dir" "run: cannot create" run "$T/one.onnx" --input "$T/a.npy" --output-dir /proc/nope/x

# ---- inspect ----
if "$AXON" inspect "$T/two.onnx" >"$T/out" 2>"$T/err"; then
    grep -q "opset: *13" "$T/out" && grep -q "ir_version: *7" "$T/out" \
        && grep -q "producer: *axon-test" "$T/out" \
        && grep -qE "^  a +float +\[N,3\]" "$T/out" && grep -qE "^  out/relu +float +\[N,3\]" "$T/out" \
        && grep -qE "^  Add +1$" "$T/out" && grep -qE "^  Relu +1$" "$T/out" \
        && ok "inspect two.onnx" || bad "inspect two.onnx: $(cat "$T/out")"
else
    bad "inspect two.onnx: $(cat "$T/err")"
fi
"$AXON" inspect "$T/one.onnx" >"$T/out" 2>"$T/err" && grep -q "parameters: *3 " "$T/out" \
    && ok "inspect parameter count" || bad "inspect parameter count: $(cat "$T/out" "$T/err")"
expect_fail "inspect missing file" "inspect: cannot open" inspect "$T/nope.onnx"
expect_fail "inspect unsupported op" "inspect: cannot load" inspect "$T/unsupported.onnx"
expect_msg "unsupported op named" "NoSuchOpXyz"
expect_fail "inspect no args" "inspect: missing MODEL" inspect
expect_fail "inspect two args" "inspect: unexpected" inspect "$T/one.onnx" "$T/two.onnx"

# ---- bench ----
if "$AXON" bench "$T/two.onnx" --batch 4 --runs 5 --warmup 1 --threads 1 --json >"$T/out" 2>"$T/err"; then
    $PY - "$T/out" <<'PYEOF' && ok "bench --json" || bad "bench --json: $(cat "$T/out")"
import json, sys
o = json.load(open(sys.argv[1]))
for k in ("load_ms", "min_ms", "median_ms", "p90_ms", "throughput", "peak_rss_mb"):
    assert isinstance(o[k], (int, float)) and o[k] >= 0, k
assert o["min_ms"] <= o["median_ms"] <= o["p90_ms"], o
assert o["batch"] == 4 and o["runs"] == 5, o
# median is printed to 1e-4 ms: allow that rounding in batch / median
m = o["median_ms"]
if m >= 0.001:
    lo, hi = 4000.0 / (m + 0.00005), 4000.0 / max(m - 0.00005, 1e-9)
    assert lo * 0.999 <= o["throughput"] <= hi * 1.001, o
assert o["peak_rss_mb"] > 1, o
PYEOF
else
    bad "bench --json: $(cat "$T/err")"
fi
"$AXON" bench "$T/two.onnx" --shape a=3,3 --shape b=3,3 --runs 3 >"$T/out" 2>"$T/err" \
    && grep -q "median" "$T/out" && grep -q "batch: *3" "$T/out" \
    && ok "bench --shape text" || bad "bench --shape text: $(cat "$T/out" "$T/err")"
expect_fail "bench bad --runs" "bench: --runs" bench "$T/one.onnx" --runs 0
expect_fail "bench unknown --shape name" "bench: --shape: unknown input" bench "$T/two.onnx" --shape zz=1,3
expect_fail "bench --shape mismatch" "bench: --shape a" bench "$T/two.onnx" --shape a=2,4
expect_fail "bench bad --shape" "bench: --shape" bench "$T/two.onnx" --shape a=1,x
expect_fail "bench missing model" "bench: cannot load" bench "$T/nope.onnx"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
