#!/usr/bin/python3
"""Serving benchmark (not CI). Runs on loopback:
  1. a 4->64->3 MLP over HTTP JSON at concurrency 1 and 32 (wrk): Axon vs
     FastAPI+uvicorn+PyTorch vs nginx returning a fixed body;
  2. ResNet-50 (random weights, 1x3x224x224 FP32 via the binary tensor
     extension) at concurrency 8 with dynamic batching on vs off;
  3. serving overhead: sequential HTTP p50 minus the engine's mean run time
     (from the v2 statistics extension) for the same ResNet-50 request.
Prints a table and ratios. Usage:
  bench/serve/bench_serve.py [AXON_BIN] [--quick]
"""
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
AXON = next((a for a in sys.argv[1:] if not a.startswith("--")),
            os.environ.get("AXON_BIN", "build/axon"))
QUICK = "--quick" in sys.argv
DUR = "3s" if QUICK else "10s"
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, secs=120):
    end = time.time() + secs
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def wrk(port, path, body_file, conc, headers=None):
    lua = os.path.join(TMP, "post.lua")
    hdrs = "".join('wrk.headers["%s"] = "%s"\n' % kv
                   for kv in (headers or {}).items())
    open(lua, "w").write(
        'local f = io.open("%s", "rb")\nwrk.method = "POST"\n'
        'wrk.body = f:read("*all")\nf:close()\n'
        'wrk.headers["Content-Type"] = "application/json"\n%s'
        % (body_file, hdrs))
    out = subprocess.run(
        ["wrk", "-t", str(min(conc, 2)), "-c", str(conc), "-d", DUR,
         "--latency", "-s", lua, "http://127.0.0.1:%d%s" % (port, path)],
        capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p50 = float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, int(errs.group(1)) if errs else 0


def start(cmd, port, env=None):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=env)
    wait_port(port, p)
    return p


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()


def mlp_part(rows):
    import test_serve
    model = os.path.join(TMP, "mlp.onnx")
    ref = test_serve.mlp(model, 0)
    # same weights for PyTorch: recover them from the ONNX initializers
    import onnx
    from onnx import numpy_helper
    w = {i.name: numpy_helper.to_array(i)
         for i in onnx.load(model).graph.initializer}
    np.savez(os.path.join(TMP, "mlp.npz"), **w)
    body = os.path.join(TMP, "mlp.json")
    json.dump({"x": [[0.5, -1.0, 2.0, 0.25]]}, open(body, "w"))
    servers = []
    pa = free_port()
    servers.append(("axon", [AXON, "serve", "--port", str(pa),
                             "--no-access-log", "--workers", "2",
                             "--threads", "1", "--model", "mlp=" + model],
                    pa, None))
    pf = free_port()
    env = dict(os.environ, MLP_NPZ=os.path.join(TMP, "mlp.npz"),
               PYTHONPATH=HERE)
    servers.append(("fastapi+torch", ["/usr/bin/python3", "-m", "uvicorn",
                                      "fastapi_mlp:app", "--port", str(pf),
                                      "--log-level", "warning"], pf, env))
    pn = free_port()
    conf = os.path.join(TMP, "nginx.conf")
    open(conf, "w").write(
        "worker_processes 2; daemon off; pid %s/nginx.pid;\n"
        "error_log %s/nginx.err;\nevents { worker_connections 1024; }\n"
        "http { access_log off; client_body_temp_path %s;\n"
        " proxy_temp_path %s; fastcgi_temp_path %s; uwsgi_temp_path %s;\n"
        " scgi_temp_path %s;\n"
        " server { listen 127.0.0.1:%d; location / {\n"
        "  default_type application/json;\n"
        "  return 200 '{\"y\":[[0.1,0.2,0.3]]}'; } } }\n"
        % ((TMP,) * 7 + (pn,)))
    servers.append(("nginx (fixed body)", ["nginx", "-c", conf, "-p", TMP],
                    pn, None))
    res = {}
    for name, cmd, port, env in servers:
        p = start(cmd, port, env)
        try:
            for c in (1, 32):
                res[(name, c)] = wrk(port, "/mlp", body, c)
        finally:
            stop(p)
    rows.append("| MLP 4-64-3 JSON | server | conc | req/s | p50 ms | non-2xx |")
    rows.append("|---|---|---|---|---|---|")
    for (name, c), (rps, p50, errs) in res.items():
        rows.append("| | %s | %d | %.0f | %.3f | %d |" % (name, c, rps, p50,
                                                       errs))
    for c in (1, 32):
        a = res[("axon", c)][0]
        rows.append("| ratio c=%d | axon / fastapi = %.1fx, axon / nginx = "
                    "%.2fx | | | | |" % (c, a / res[("fastapi+torch", c)][0],
                                         a / res[("nginx (fixed body)", c)][0]))


def resnet_part(rows):
    import torch
    import torchvision
    model = os.path.join(TMP, "resnet50.onnx")
    torch.manual_seed(0)
    m = torchvision.models.resnet50().eval()
    torch.onnx.export(m, torch.randn(1, 3, 224, 224), model,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"},
                                    "logits": {0: "batch"}},
                      opset_version=13)
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(
        np.float32)
    hdr = json.dumps({"inputs": [{"name": "input", "shape": [1, 3, 224, 224],
                                  "datatype": "FP32",
                                  "parameters": {"binary_data_size":
                                                 x.nbytes}}],
                      "outputs": [{"name": "logits",
                                   "parameters": {"binary_data": True}}]})
    body = os.path.join(TMP, "resnet.bin")
    open(body, "wb").write(hdr.encode() + x.tobytes())
    headers = {"Inference-Header-Content-Length": str(len(hdr))}
    cores = os.cpu_count()
    res = {}
    for label, extra in (("batching off", []),
                         ("batching on (max 8, 5 ms)",
                          ["--max-batch-size", "8", "--batch-interval",
                           "5000"])):
        port = free_port()
        p = start([AXON, "serve", "--port", str(port), "--no-access-log",
                   "--threads", str(cores), "--model", "resnet=" + model]
                  + extra, port)
        try:
            res[label] = wrk(port, "/v2/models/resnet/infer", body, 8,
                             headers)
            if not extra:
                # serving overhead: sequential requests, client-side p50
                conn = http.client.HTTPConnection("127.0.0.1", port)
                data = open(body, "rb").read()
                lat, eng = [], []

                def infer_ns():
                    st = json.loads(get(conn, "/v2/models/resnet/stats"))
                    return st["model_stats"][0]["inference_stats"][
                        "compute_infer"]["ns"]
                for _ in range(10 if QUICK else 30):
                    n0 = infer_ns()
                    t0 = time.perf_counter()
                    conn.request("POST", "/v2/models/resnet/infer", data,
                                 headers)
                    r = conn.getresponse()
                    r.read()
                    lat.append((time.perf_counter() - t0) * 1e3)
                    eng.append((infer_ns() - n0) / 1e6)
                over = [a - b for a, b in zip(lat, eng)]
                res["overhead"] = (statistics.median(lat), statistics.median(eng),
                                   statistics.median(over))
        finally:
            stop(p)
    rows.append("")
    rows.append("| ResNet-50 1x3x224x224 (binary ext.), conc 8 | req/s | "
                "p50 ms | non-2xx |")
    rows.append("|---|---|---|---|")
    for label in ("batching off", "batching on (max 8, 5 ms)"):
        rps, p50, errs = res[label]
        rows.append("| %s | %.2f | %.1f | %d |" % (label, rps, p50, errs))
    rows.append("| ratio on/off | %.2fx | | |" % (
        res["batching on (max 8, 5 ms)"][0] / res["batching off"][0]))
    http_p50, eng, over = res["overhead"]
    rows.append("")
    rows.append("| serving overhead (sequential) | HTTP p50 ms | engine p50 ms"
                " | p50 of (HTTP - engine) ms |")
    rows.append("|---|---|---|---|")
    rows.append("| ResNet-50 224x224 binary | %.2f | %.2f | %.2f |" % (
        http_p50, eng, over))


def get(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    return r.read()


def main():
    global TMP
    TMP = tempfile.mkdtemp(prefix="axon-bench-serve-")
    rows = []
    mlp_part(rows)
    if "--no-resnet" not in sys.argv:
        resnet_part(rows)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
