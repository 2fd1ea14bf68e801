#!/usr/bin/python3
"""PyTorch (eager, Debian build) side of bench/engine/run.sh.

    torch_bench.py MODEL BATCH RUNS WARMUP THREADS

MODEL is resnet50 or mobilenetv2 (torchvision, random weights, eval mode,
torch.no_grad). Prints one JSON object with the keys of `axon bench
--json`; load_ms is the model construction time. Run with
OMP_WAIT_POLICY=PASSIVE (run.sh sets it) so idle OpenMP threads do not spin.
"""
import json
import resource
import sys
import time

import torch
import torchvision


def main():
    name, batch, runs, warmup, threads = sys.argv[1], *map(int, sys.argv[2:6])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    t0 = time.perf_counter()
    ctor = {"resnet50": torchvision.models.resnet50,
            "mobilenetv2": torchvision.models.mobilenet_v2}[name]
    model = ctor(weights=None).eval()
    load_ms = (time.perf_counter() - t0) * 1e3
    x = torch.randn(batch, 3, 224, 224)
    lat = []
    with torch.no_grad():
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            model(x)
            ms = (time.perf_counter() - t0) * 1e3
            if i >= warmup:
                lat.append(ms)
    s = sorted(lat)
    n = len(s)
    med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    print(json.dumps({
        "system": "pytorch", "version": torch.__version__, "model": name,
        "batch": batch, "threads": threads, "runs": runs, "warmup": warmup,
        "load_ms": load_ms, "min_ms": s[0], "median_ms": med,
        "p90_ms": s[max(0, -(-9 * n // 10) - 1)],
        "throughput": batch * 1000.0 / med,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }))


if __name__ == "__main__":
    main()
