#!/usr/bin/env python3
"""Writes the small ONNX models that the engine unit tests load
(tests/unit/test_engine.c). Weights follow closed formulas so the C test can
recompute the expected outputs without reading them from the file.

  engine_mlp.onnx: x[N,4] -> Gemm(4x8)+Relu -> Gemm(8x3) -> Softmax, and a
  dynamic reshape path (Shape -> Gather -> Unsqueeze -> Concat -> Reshape)
  that can only be resolved once N is known.

Run: /usr/bin/python3 tests/models/make_engine_models.py
"""
import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def w1(i, j):
    return math.sin(i * 8 + j) * 0.5


def w2(i, j):
    return math.cos(i * 3 + j) * 0.5


def main():
    W1 = np.array([[w1(i, j) for j in range(8)] for i in range(4)], np.float32)
    B1 = np.array([0.1 * j - 0.3 for j in range(8)], np.float32)
    W2 = np.array([[w2(i, j) for j in range(3)] for i in range(8)], np.float32)
    B2 = np.array([0.05 * j for j in range(3)], np.float32)
    inits = [numpy_helper.from_array(W1, "W1"), numpy_helper.from_array(B1, "B1"),
             numpy_helper.from_array(W2, "W2"), numpy_helper.from_array(B2, "B2"),
             numpy_helper.from_array(np.array([0], np.int64), "zero"),
             numpy_helper.from_array(np.array([-1], np.int64), "minus_one")]
    nodes = [
        helper.make_node("Gemm", ["x", "W1", "B1"], ["h"]),
        helper.make_node("Relu", ["h"], ["hr"]),
        helper.make_node("Gemm", ["hr", "W2", "B2"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
        # dynamic path: flat = Reshape(hr, [N, -1]) with N from Shape(x)
        helper.make_node("Shape", ["x"], ["xs"]),
        helper.make_node("Gather", ["xs", "zero"], ["n"], axis=0),
        helper.make_node("Concat", ["n", "minus_one"], ["shape2"], axis=0),
        helper.make_node("Reshape", ["hr", "shape2"], ["flat"]),
    ]
    graph = helper.make_graph(
        nodes, "engine_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 3]),
         helper.make_tensor_value_info("flat", TensorProto.FLOAT, ["N", 8])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="axon-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, "engine_mlp.onnx"))

    # engine_reshape.onnx: y = Reshape(x, shape) * 2 where `shape` is fed by
    # the caller, so the plan depends on the input's value, not just shape.
    two = numpy_helper.from_array(np.array(2.0, np.float32), "two")
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shape"], ["r"]),
         helper.make_node("Mul", ["r", "two"], ["y"])],
        "engine_reshape",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4]),
         helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, None])],
        [two])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="axon-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, "engine_reshape.onnx"))

    # engine_huge_const.onnx: a few hundred bytes that ask constant folding
    # for a 40 GB tensor; loading must refuse it, not try.
    graph = helper.make_graph(
        [helper.make_node("ConstantOfShape", ["shape"], ["big"]),
         helper.make_node("Add", ["x", "big"], ["y"])],
        "engine_huge_const",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, None])],
        [numpy_helper.from_array(np.array([100000, 100000], np.int64), "shape")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="axon-tests")
    model.ir_version = 8
    onnx.save(model, os.path.join(HERE, "engine_huge_const.onnx"))


if __name__ == "__main__":
    main()
