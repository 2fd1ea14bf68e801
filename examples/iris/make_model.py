#!/usr/bin/env python3
"""Makes the iris example: a tiny ONNX classifier (4 features -> 3 classes).

The weights come from softmax regression trained with numpy on samples drawn
(fixed seed) around the per-class means and spreads of Fisher's iris data, so
the model answers like a real iris classifier without shipping the data set.
The graph is MatMul -> Add -> Relu -> MatMul -> Add -> Softmax with a dynamic
batch dimension, input "features" [batch, 4] float, output "probabilities"
[batch, 3] float.

Usage:
  make_model.py                      # writes models/iris/1/model.onnx
  make_model.py --version 2          # another version (different seed)
  make_model.py --out path.onnx      # a single file
  make_model.py --version 3 --broken # a version that fails to load (tests)
"""
import argparse
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Per-class mean and standard deviation of (sepal length, sepal width,
# petal length, petal width) in cm, from Fisher's iris data.
CLASSES = ["setosa", "versicolor", "virginica"]
MEANS = np.array([[5.006, 3.428, 1.462, 0.246],
                  [5.936, 2.770, 4.260, 1.326],
                  [6.588, 2.974, 5.552, 2.026]], dtype=np.float64)
STDS = np.array([[0.352, 0.379, 0.174, 0.105],
                 [0.516, 0.314, 0.470, 0.198],
                 [0.636, 0.322, 0.552, 0.275]], dtype=np.float64)


def train(seed, hidden=8, steps=600, lr=0.1):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(MEANS[c], STDS[c], size=(200, 4))
                        for c in range(3)])
    y = np.repeat(np.arange(3), 200)
    onehot = np.eye(3)[y]
    w1 = rng.normal(0, 0.5, size=(4, hidden))
    b1 = np.zeros(hidden)
    w2 = rng.normal(0, 0.5, size=(hidden, 3))
    b2 = np.zeros(3)
    for _ in range(steps):
        h = np.maximum(x @ w1 + b1, 0)
        z = h @ w2 + b2
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) / len(x)
        gw2 = h.T @ g
        gb2 = g.sum(axis=0)
        gh = (g @ w2.T) * (h > 0)
        gw1 = x.T @ gh
        gb1 = gh.sum(axis=0)
        w1 -= lr * gw1
        b1 -= lr * gb1
        w2 -= lr * gw2
        b2 -= lr * gb2
    acc = float((p.argmax(axis=1) == y).mean())
    return [a.astype(np.float32) for a in (w1, b1, w2, b2)], acc


def build(weights, version, broken=False):
    w1, b1, w2, b2 = weights
    inits = [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
             numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2")]
    nodes = [
        helper.make_node("MatMul", ["features", "w1"], ["h0"]),
        helper.make_node("Add", ["h0", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h2"]),
        helper.make_node("MatMul", ["h2", "w2"], ["z0"]),
        helper.make_node("Add", ["z0", "b2"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    if broken:
        # an op no engine implements: loading this version must fail
        nodes[2] = helper.make_node("AxonNoSuchOp", ["h1"], ["h2"])
    graph = helper.make_graph(
        nodes, "iris",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 3])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="axon-examples-iris")
    model.ir_version = 7
    model.model_version = version
    helper.set_model_props(model, {"classes": ",".join(CLASSES)})
    if not broken:
        onnx.checker.check_model(model)
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--version", type=int, default=1)
    ap.add_argument("--seed", type=int, default=None,
                    help="training seed (default: 1000 + version)")
    ap.add_argument("--root", default=os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "models", "iris"),
                    help="folder of numbered versions")
    ap.add_argument("--out", default=None, help="write one file here instead")
    ap.add_argument("--broken", action="store_true")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else 1000 + args.version
    weights, acc = train(seed)
    model = build(weights, args.version, args.broken)
    out = args.out
    if out is None:
        vdir = os.path.join(args.root, str(args.version))
        if os.path.isdir(vdir):
            shutil.rmtree(vdir)
        os.makedirs(vdir + ".tmp", exist_ok=True)
        tmp = os.path.join(vdir + ".tmp", "model.onnx")
        onnx.save(model, tmp)
        # the version folder appears complete or not at all
        os.rename(vdir + ".tmp", vdir)
        out = os.path.join(vdir, "model.onnx")
    else:
        onnx.save(model, out)
    print(f"wrote {out} (version {args.version}, train accuracy {acc:.3f})")


if __name__ == "__main__":
    main()
