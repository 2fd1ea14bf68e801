#!/usr/bin/python3
"""Export the reference models for Axon's model tests and benchmarks.

Uses Debian's torch/torchvision only, with random weights (seed 0, never a
download): ResNet-50, MobileNetV2 and a small MLP, as ONNX opset 13 with a
dynamic batch axis "N" on input and output. For each model and each batch
size it also saves a random input and torch's output as .npy:

    OUT/<model>.onnx
    OUT/<model>_input_b<B>.npy     (input tensor, float32)
    OUT/<model>_output_b<B>.npy    (torch's output for that input)

Usage: export_models.py [--out DIR] [--models resnet50,mobilenetv2,mlp]
                        [--batches 1,2] [--force]
Existing files are kept unless --force (the export is cached).
"""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "tests", "models", "generated")


class MLP(torch.nn.Module):
    """64 -> 128 -> 64 -> 10, ReLU between: a tiny (~45 KB) model."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(64, 128), torch.nn.ReLU(),
            torch.nn.Linear(128, 64), torch.nn.ReLU(),
            torch.nn.Linear(64, 10))

    def forward(self, x):
        return self.net(x)


MODELS = {
    # name: (constructor, input shape without batch)
    "resnet50": (lambda: torchvision.models.resnet50(weights=None), (3, 224, 224)),
    "mobilenetv2": (lambda: torchvision.models.mobilenet_v2(weights=None), (3, 224, 224)),
    "mlp": (MLP, (64,)),
}


def export(name, out, batches, force):
    ctor, shape = MODELS[name]
    onnx_path = os.path.join(out, name + ".onnx")
    wanted = [onnx_path]
    for b in batches:
        wanted += [os.path.join(out, "%s_input_b%d.npy" % (name, b)),
                   os.path.join(out, "%s_output_b%d.npy" % (name, b))]
    if not force and all(os.path.exists(p) for p in wanted):
        print("cached %s" % onnx_path)
        return
    torch.manual_seed(0)
    model = ctor().eval()
    if name != "mlp":
        # Random BatchNorm statistics so that the folded Conv+BN path is
        # really exercised (the defaults are mean 0 / var 1).
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    dummy = torch.randn(1, *shape)
    tmp = onnx_path + ".tmp"
    torch.onnx.export(model, dummy, tmp, opset_version=13,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "N"}, "output": {0: "N"}},
                      do_constant_folding=True)
    os.replace(tmp, onnx_path)
    gen = torch.Generator().manual_seed(1234)
    with torch.no_grad():
        for b in batches:
            x = torch.randn(b, *shape, generator=gen)
            y = model(x)
            np.save(os.path.join(out, "%s_input_b%d.npy" % (name, b)),
                    x.numpy().astype(np.float32))
            np.save(os.path.join(out, "%s_output_b%d.npy" % (name, b)),
                    y.numpy().astype(np.float32))
    print("exported %s (%.1f MB)" % (onnx_path, os.path.getsize(onnx_path) / 1e6))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--models", default="resnet50,mobilenetv2,mlp")
    ap.add_argument("--batches", default="1,2")
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(2)
    batches = [int(b) for b in a.batches.split(",")]
    for name in a.models.split(","):
        if name not in MODELS:
            sys.exit("export_models.py: unknown model %r (have %s)"
                     % (name, ", ".join(MODELS)))
        export(name, a.out, batches, a.force)


if __name__ == "__main__":
    main()
