#!/usr/bin/python3
"""Model tests: real networks through the real `axon` binary against torch.

Exports ResNet-50, MobileNetV2 and a small MLP with scripts/export_models.py
(cached in tests/models/generated/), then runs each through `axon run` for
batch 1 and 2, on the default path (oneDNN) and on the reference kernels
(hidden `--reference` flag, plus AXON_DISABLE_ONEDNN=1 in the environment),
and fails when max|a - b| / max|b| > 1e-4 against torch's output. The
committed tiny MLP (tests/models/) is checked too. Env: AXON_BIN,
AXON_SOURCE_DIR; AXON_MODELS=mlp,mobilenetv2 narrows the set.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

SRC = os.environ.get("AXON_SOURCE_DIR",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("AXON_BIN", os.path.join(SRC, "build", "axon"))
GEN = os.path.join(SRC, "tests", "models", "generated")
MODELS = os.environ.get("AXON_MODELS", "mlp,mobilenetv2,resnet50").split(",")
TOL = 1e-4

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS %s %s" % (name, detail))
    else:
        failed += 1
        print("FAIL %s %s" % (name, detail))
    sys.stdout.flush()


def run_axon(model, inp, reference, tmp):
    outdir = os.path.join(tmp, "out")
    cmd = [BIN, "run", model, "--input", "input=" + inp,
           "--output-dir", outdir, "--threads", "2"]
    env = dict(os.environ)
    if reference:
        cmd.append("--reference")
        env["AXON_DISABLE_ONEDNN"] = "1"
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if p.returncode != 0:
        return None, "exit %d: %s" % (p.returncode, p.stderr.strip()[-400:])
    path = os.path.join(outdir, "output.npy")
    if not os.path.exists(path):
        return None, "no output.npy written (stdout: %s)" % p.stdout.strip()[:200]
    return np.load(path), ""


def compare(name, model, inp, ref, reference):
    with tempfile.TemporaryDirectory() as tmp:
        got, err = run_axon(model, inp, reference, tmp)
    if got is None:
        check(name, False, err)
        return
    want = np.load(ref)
    if got.shape != want.shape or got.dtype != want.dtype:
        check(name, False, "got %s %s, want %s %s" % (got.dtype, got.shape,
                                                      want.dtype, want.shape))
        return
    denom = float(np.max(np.abs(want)))
    rel = float(np.max(np.abs(got.astype(np.float64) - want))) / max(denom, 1e-30)
    check(name, rel <= TOL and np.isfinite(got).all(), "max rel err %.3g" % rel)


def main():
    # the committed model works without torch
    c = os.path.join(SRC, "tests", "models")
    for mode in (False, True):
        compare("committed-mlp%s" % ("-reference" if mode else ""),
                os.path.join(c, "mlp.onnx"), os.path.join(c, "mlp_input_b1.npy"),
                os.path.join(c, "mlp_output_b1.npy"), mode)

    p = subprocess.run(["/usr/bin/python3", os.path.join(SRC, "scripts", "export_models.py"),
                        "--out", GEN, "--models", ",".join(MODELS), "--batches", "1,2"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        check("export", False, p.stderr.strip()[-600:])
    else:
        for m in MODELS:
            for b in (1, 2):
                for reference in (False, True):
                    compare("%s-b%d%s" % (m, b, "-reference" if reference else ""),
                            os.path.join(GEN, m + ".onnx"),
                            os.path.join(GEN, "%s_input_b%d.npy" % (m, b)),
                            os.path.join(GEN, "%s_output_b%d.npy" % (m, b)),
                            reference)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
