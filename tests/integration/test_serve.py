#!/usr/bin/python3
"""Integration test of `axon serve`: runs the real binary on loopback (port
chosen by the server, reported through --port-file) against small ONNX
models made here with onnx.helper, and checks every endpoint, the error
paths, the binary extension, metrics (promtool), load without errors,
overload 503s, timeouts, batching, SIGHUP version reload and the SIGTERM
drain. Results are compared with a numpy evaluation of the same weights."""
import concurrent.futures as cf
import http.client
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

AXON = os.environ.get("AXON_BIN", "build/axon")
FAILS = []


def check(cond, what):
    if cond:
        print("ok  ", what)
    else:
        print("FAIL", what)
        FAILS.append(what)


def save(model, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    model.opset_import[0].version = 13
    model.ir_version = 7
    onnx.save(model, path)


def mlp(path, seed):
    rng = np.random.default_rng(seed)
    w1 = rng.standard_normal((4, 64)).astype(np.float32)
    b1 = rng.standard_normal(64).astype(np.float32)
    w2 = rng.standard_normal((64, 3)).astype(np.float32)
    b2 = rng.standard_normal(3).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"]),
             helper.make_node("Add", ["h", "b1"], ["h1"]),
             helper.make_node("Relu", ["h1"], ["h2"]),
             helper.make_node("MatMul", ["h2", "w2"], ["h3"]),
             helper.make_node("Add", ["h3", "b2"], ["y"])]
    g = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        [numpy_helper.from_array(a, n) for a, n in
         ((w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))])
    save(helper.make_model(g), path)
    return lambda x: np.maximum(x @ w1 + b1, 0) @ w2 + b2


def two_inputs(path):
    g = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["s"]),
         helper.make_node("Cast", ["s"], ["i"], to=TensorProto.INT64)],
        "two",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["n", 3]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, ["n", 3])],
        [helper.make_tensor_value_info("s", TensorProto.FLOAT, ["n", 3]),
         helper.make_tensor_value_info("i", TensorProto.INT64, ["n", 3])])
    save(helper.make_model(g), path)


def add_one(path):
    """y = x * 2 + 1 with both dims symbolic: batching must never stack
    requests whose second dimension differs."""
    g = helper.make_graph(
        [helper.make_node("Mul", ["x", "two"], ["t"]),
         helper.make_node("Add", ["t", "one"], ["y"])],
        "addone",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "n"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", "n"])],
        [numpy_helper.from_array(np.array(2, dtype=np.float32), "two"),
         numpy_helper.from_array(np.array(1, dtype=np.float32), "one")])
    save(helper.make_model(g), path)


def slow(path, n=120, d=256):
    rng = np.random.default_rng(3)
    inits, nodes, cur = [], [], "x"
    w = (rng.standard_normal((d, d)) / np.sqrt(d)).astype(np.float32)
    inits.append(numpy_helper.from_array(w, "w"))
    for k in range(n):
        nodes.append(helper.make_node("MatMul", [cur, "w"], ["t%d" % k]))
        cur = "t%d" % k
    nodes.append(helper.make_node("Identity", [cur], ["y"]))
    g = helper.make_graph(
        nodes, "slow",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", d])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", d])],
        inits)
    save(helper.make_model(g), path)


class Server:
    def __init__(self, tmp, args, tag):
        self.portfile = os.path.join(tmp, "port-" + tag)
        self.logpath = os.path.join(tmp, "log-" + tag)
        self.log = open(self.logpath, "w")
        self.proc = subprocess.Popen(
            [AXON, "serve", "--port", "0", "--port-file", self.portfile] + args,
            stdout=self.log, stderr=self.log)
        for _ in range(300):
            if os.path.exists(self.portfile) and open(self.portfile).read().strip():
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not os.path.exists(self.portfile):
            self.proc.kill()
            self.log.close()
            raise RuntimeError("server did not start: " +
                               open(self.logpath).read()[-2000:])
        self.port = int(open(self.portfile).read())

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def req(self, method, path, body=None, headers=None, conn=None):
        c = conn or self.conn()
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        return r.status, dict(r.getheaders()), data

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = -9
        self.log.close()
        return rc


def j(data):
    return json.loads(data)


def v2(name, shape, dtype, data):
    return {"inputs": [{"name": name, "shape": shape, "datatype": dtype,
                        "data": data}]}


def main():
    tmp = tempfile.mkdtemp(prefix="axon-serve-")
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILS:
        print("%d checks failed" % len(FAILS))
        sys.exit(1)
    print("all checks passed")


def run(tmp):
    ref = mlp(os.path.join(tmp, "mlp.onnx"), 0)
    two_inputs(os.path.join(tmp, "two.onnx"))
    mlp(os.path.join(tmp, "ver", "1", "model.onnx"), 1)
    ref2 = mlp(os.path.join(tmp, "ver", "2", "model.onnx"), 2)
    slow(os.path.join(tmp, "slow.onnx"))

    s = Server(tmp, ["--max-body", "200000",
                     "--model", "mlp=" + os.path.join(tmp, "mlp.onnx"),
                     "--model", "two=" + os.path.join(tmp, "two.onnx"),
                     "--model", "ver=" + os.path.join(tmp, "ver")], "main")
    try:
        endpoints(s, ref, ref2, tmp)
        load(s, ref)
        check(s.stop() == 0, "main server exits 0 on SIGTERM")
    finally:
        s.stop(signal.SIGKILL)
    overload_and_timeout(tmp)
    batching(tmp, ref)
    drain(tmp)


def endpoints(s, ref, ref2, tmp):
    st, _, d = s.req("GET", "/v2")
    check(st == 200 and j(d)["name"] == "axon" and
          "binary_tensor_data" in j(d)["extensions"], "GET /v2 metadata")
    check(s.req("GET", "/v2/health/live")[0] == 200, "live")
    check(s.req("GET", "/v2/health/ready")[0] == 200, "ready")
    st, _, d = s.req("GET", "/v2/models/mlp")
    md = j(d)
    check(st == 200 and md["inputs"][0] == {"name": "x", "datatype": "FP32",
                                           "shape": [-1, 4]},
          "model metadata lists input x FP32 [-1,4]")
    check(s.req("GET", "/v2/models/mlp/ready")[0] == 200, "model ready")
    check(s.req("GET", "/v2/models/mlp/versions/1")[0] == 200,
          "model version metadata")
    check(s.req("GET", "/v2/models/nope")[0] == 404, "unknown model 404")
    check(s.req("GET", "/v2/models/nope/ready")[0] == 404,
          "unknown model ready 404")
    st, _, d = s.req("GET", "/mlp")
    check(st == 200 and j(d)["outputs"][0]["name"] == "y", "GET /{m}")

    x = np.array([[1, 2, 3, 4], [-1, 0.5, 2, -3]], dtype=np.float32)
    want = ref(x)
    st, h, d = s.req("POST", "/v2/models/mlp/infer",
                     {"id": "req-1", **v2("x", [2, 4], "FP32",
                                          x.flatten().tolist())},
                     {"X-Request-ID": "my-id-7"})
    r = j(d)
    got = np.array(r["outputs"][0]["data"], dtype=np.float32).reshape(2, 3)
    check(st == 200 and r["model_name"] == "mlp" and r["id"] == "req-1" and
          r["model_version"] == "1" and r["outputs"][0]["shape"] == [2, 3],
          "v2 infer envelope")
    check(np.allclose(got, want, rtol=1e-5, atol=1e-5),
          "v2 infer values match numpy")
    check(h.get("X-Request-ID") == "my-id-7", "X-Request-ID echoed")
    st, h, d = s.req("POST", "/v2/models/mlp/infer",
                     v2("x", [2, 4], "FP32", x.tolist()))
    check(st == 200 and np.allclose(np.array(j(d)["outputs"][0]["data"]),
                                    want.flatten(), rtol=1e-5, atol=1e-5),
          "v2 nested data accepted")
    check(len(h.get("X-Request-ID", "")) > 0, "X-Request-ID generated")
    st, _, d = s.req("POST", "/v2/models/mlp/versions/1/infer",
                     v2("x", [2, 4], "FP32", x.flatten().tolist()))
    check(st == 200, "v2 infer with version")
    st, _, d = s.req("POST", "/mlp", {"x": x.tolist()})
    check(st == 200 and np.allclose(np.array(j(d)["y"]), want, rtol=1e-5,
                                    atol=1e-5), "plain JSON object infer")
    st, _, d = s.req("POST", "/mlp", x.tolist())
    check(st == 200 and np.array(j(d)["y"]).shape == (2, 3),
          "plain JSON bare array infer")

    def err(path, body, code, frag, what, headers=None):
        st, h, d = s.req("POST", path, body, headers)
        try:
            msg = j(d).get("error", "")
        except Exception:
            msg = repr(d[:100])
        ok = st == code and frag in msg
        if not ok:
            print("     got", st, msg)
        check(ok, what)
        return h

    P = "/v2/models/mlp/infer"
    err(P, v2("x", [2, 4], "INT64", list(range(8))), 400,
        "expected datatype FP32, got INT64", "wrong datatype 400")
    err(P, v2("x", [2, 5], "FP32", [0.0] * 10), 400,
        "expected shape [-1,4], got [2,5]", "wrong shape 400")
    err(P, v2("x", [2, 4], "FP32", [0.0] * 7), 400, "needs 8 elements",
        "element count mismatch 400")
    err(P, v2("x", [2, 4], "FP16", [0.0] * 8), 400, "not supported",
        "FP16 400")
    err(P, v2("x", [2, 4], "BYTES", ["a"] * 8), 400, "not supported",
        "BYTES 400")
    err(P, v2("q", [2, 4], "FP32", [0.0] * 8), 400, "unknown input 'q'",
        "unknown input 400")
    err("/v2/models/two/infer", v2("a", [1, 3], "FP32", [1, 2, 3]), 400,
        "missing input 'b'", "missing input 400")
    err(P, {**v2("x", [1, 4], "FP32", [0.0] * 4), "outputs": [{"name": "z"}]},
        400, "unknown output 'z'", "unknown output name 400")
    err(P, '{"inputs": [{"name": "x", "shape": [1,4], ', 400, "malformed",
        "malformed JSON 400")
    err(P, v2("x", [2, 4], "FP32", [[1, 2, 3, 4], [1, 2, 3]]), 400,
        "ragged", "ragged nested data 400")
    err(P, v2("x", [1, 4], "FP32", ["a", 1, 2, 3]), 400, "bad data",
        "string in data 400")
    err("/mlp", {"x": [[1, 2, 3]]}, 400, "expected shape [-1,4], got [1,3]",
        "plain JSON wrong shape 400")
    err("/v2/models/nope/infer", v2("x", [1, 4], "FP32", [0] * 4), 404,
        "unknown model", "unknown model infer 404")
    err("/v2/models/mlp/versions/9/infer", v2("x", [1, 4], "FP32", [0] * 4),
        404, "version", "unknown version 404")
    big = v2("x", [12000, 4], "FP32", [1.25] * 48000)
    err(P, big, 413, "limit", "body over the limit 413 (Content-Length)")
    # chunked body over the limit
    c = s.conn()
    c.putrequest("POST", P)
    c.putheader("Transfer-Encoding", "chunked")
    c.endheaders()
    chunk = b"[" + b"1.0," * 20000
    try:
        for _ in range(4):
            c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        c.send(b"0\r\n\r\n")
        r = c.getresponse()
        check(r.status == 413, "chunked body over the limit 413")
    except (BrokenPipeError, ConnectionResetError):
        check(True, "chunked body over the limit cut off")
    c.close()
    st, _, _ = s.req("DELETE", P)
    check(st == 405, "wrong method 405")
    check(s.req("GET", "/v2/nothing/here")[0] == 404, "unknown path 404")

    # binary extension: input binary, output binary
    hdr = json.dumps({"inputs": [{"name": "x", "shape": [2, 4],
                                  "datatype": "FP32",
                                  "parameters": {"binary_data_size": 32}}],
                      "outputs": [{"name": "y",
                                   "parameters": {"binary_data": True}}]})
    body = hdr.encode() + x.tobytes()
    st, h, d = s.req("POST", P, body,
                     {"Inference-Header-Content-Length": str(len(hdr))})
    hl = int(h.get("Inference-Header-Content-Length", "0"))
    ok = st == 200 and hl > 0
    if ok:
        meta = json.loads(d[:hl])
        out = np.frombuffer(d[hl:], dtype=np.float32).reshape(2, 3)
        ok = (meta["outputs"][0]["parameters"]["binary_data_size"] == 24 and
              np.allclose(out, want, rtol=1e-5, atol=1e-5))
    check(ok, "binary tensor extension in and out")
    st, _, d = s.req("POST", P, body[:-5],
                     {"Inference-Header-Content-Length": str(len(hdr))})
    check(st == 400 and "truncated" in j(d)["error"], "truncated binary 400")
    st, _, d = s.req("POST", P, body + b"xx",
                     {"Inference-Header-Content-Length": str(len(hdr))})
    check(st == 400, "extra binary bytes 400")
    st, _, d = s.req("POST", P, body,
                     {"Inference-Header-Content-Length": "99999"})
    check(st == 400, "bad Inference-Header-Content-Length 400")
    st, _, d = s.req("POST", "/v2/models/two/infer",
                     {"inputs": [{"name": "a", "shape": [1, 3],
                                  "datatype": "FP32", "data": [1.5, 2, 3]},
                                 {"name": "b", "shape": [1, 3],
                                  "datatype": "FP32", "data": [1, 1, 1]}],
                      "outputs": [{"name": "i"}]})
    r = j(d)
    check(st == 200 and len(r["outputs"]) == 1 and
          r["outputs"][0]["datatype"] == "INT64" and
          r["outputs"][0]["data"] == [2, 3, 4], "output selection + INT64")

    # stats + metrics
    st, _, d = s.req("GET", "/v2/models/mlp/stats")
    ms = j(d)["model_stats"][0]
    check(st == 200 and ms["inference_count"] >= 5 and
          ms["inference_stats"]["success"]["count"] >= 5, "stats extension")
    st, h, d = s.req("GET", "/metrics")
    mpath = os.path.join(tmp, "metrics.txt")
    open(mpath, "wb").write(d)
    pc = subprocess.run(["promtool", "check", "metrics"], stdin=open(mpath),
                        capture_output=True, text=True)
    check(st == 200 and pc.returncode == 0, "promtool check metrics: " +
          (pc.stdout + pc.stderr).strip()[:200])
    txt = d.decode()
    check('axon_requests_total{model="mlp",version="1",code="400"}' in txt and
          "axon_batch_size_bucket" in txt and
          "axon_process_resident_memory_bytes" in txt, "metrics content")

    # versions and SIGHUP reload
    xv = np.array([[0.5, -1, 2, 1]], dtype=np.float32)
    st, _, d = s.req("POST", "/v2/models/ver/infer",
                     v2("x", [1, 4], "FP32", xv.flatten().tolist()))
    r = j(d)
    check(st == 200 and r["model_version"] == "2" and
          np.allclose(r["outputs"][0]["data"], ref2(xv).flatten(), rtol=1e-5,
                      atol=1e-5), "version folder serves newest (2)")
    check(s.req("GET", "/v2/models/ver/versions/1")[0] == 404,
          "old version 404")
    ref3 = mlp(os.path.join(tmp, "ver", "3", "model.onnx"), 5)
    s.proc.send_signal(signal.SIGHUP)
    ok = False
    for _ in range(100):
        st, _, d = s.req("POST", "/v2/models/ver/infer",
                         v2("x", [1, 4], "FP32", xv.flatten().tolist()))
        if st == 200 and j(d)["model_version"] == "3":
            ok = np.allclose(j(d)["outputs"][0]["data"], ref3(xv).flatten(),
                             rtol=1e-5, atol=1e-5)
            break
        time.sleep(0.05)
    check(ok, "SIGHUP reload serves version 3")
    # reload under load: no request may fail while versions swap
    with cf.ThreadPoolExecutor(1) as ex:
        fut = ex.submit(hammer, s, 8, 40, lambda t, i: v2(
            "x", [1, 4], "FP32", xv.flatten().tolist()),
            "/v2/models/ver/infer")
        for _ in range(3):
            time.sleep(0.1)
            s.proc.send_signal(signal.SIGHUP)
        res = fut.result()
    codes = [r[0] for r in res]
    check(codes == [200] * len(codes) and len(codes) == 320,
          "SIGHUP under load drops no request (%s)" % sorted(set(codes)))
    log = open(s.logpath).read()
    check('"event":"model_reloaded"' in log and '"status":400' in log and
          '"request_id":"my-id-7"' in log, "JSON log lines")


def hammer(s, n_threads, per_thread, make_body, path):
    def worker(t):
        c = s.conn()
        out = []
        for i in range(per_thread):
            body = make_body(t, i)
            st, h, d = s.req("POST", path, body, conn=c)
            out.append((st, h, d, body))
        c.close()
        return out
    with cf.ThreadPoolExecutor(n_threads) as ex:
        res = list(ex.map(worker, range(n_threads)))
    return [r for rs in res for r in rs]


def load(s, ref):
    def body(t, i):
        return v2("x", [1, 4], "FP32", [t / 64.0, i / 20.0, 1.0, -2.0])
    res = hammer(s, 64, 20, body, "/v2/models/mlp/infer")
    codes = [r[0] for r in res]
    bad = 0
    for st, _, d, b in res:
        x = np.array(b["inputs"][0]["data"], dtype=np.float32).reshape(1, 4)
        if st != 200 or not np.allclose(j(d)["outputs"][0]["data"],
                                        ref(x).flatten(), rtol=1e-5,
                                        atol=1e-5):
            if bad < 3:
                print("     x", x, "got", d[:300], "want", ref(x))
            bad += 1
    check(len(res) == 1280 and bad == 0,
          "64 concurrent clients x 20: %d non-200 or wrong (codes %s)" %
          (bad, sorted(set(codes))))


def overload_and_timeout(tmp):
    s = Server(tmp, ["--threads", "1", "--max-concurrency", "2",
                     "--max-queue-length", "1",
                     "--model", "slow=" + os.path.join(tmp, "slow.onnx")],
               "over")
    try:
        x = np.ones((8, 256), dtype=np.float32)
        res = hammer(s, 16, 3, lambda t, i: v2("x", [8, 256], "FP32",
                                               x.flatten().tolist()),
                     "/v2/models/slow/infer")
        codes = [r[0] for r in res]
        retry = all(r[1].get("Retry-After") for r in res if r[0] == 503)
        check(codes.count(503) > 0 and codes.count(200) > 0 and
              set(codes) <= {200, 503} and retry,
              "overload: 200s and immediate 503s with Retry-After (%d/%d)" %
              (codes.count(503), len(codes)))
        body = v2("x", [8, 256], "FP32", x.flatten().tolist())
        body["parameters"] = {"timeout": 1000}  # 1 ms
        res = hammer(s, 3, 2, lambda t, i: body, "/v2/models/slow/infer")
        codes = [r[0] for r in res]
        check(504 in codes and set(codes) <= {200, 503, 504},
              "v2 timeout parameter -> 504 (%s)" % codes)
        st, _, _ = s.req("POST", "/v2/models/slow/infer",
                         v2("x", [8, 256], "FP32", x.flatten().tolist()))
        check(st == 200, "slot freed after timeouts")
        check(s.stop() == 0, "overload server exits 0")
    finally:
        s.stop(signal.SIGKILL)


def batching(tmp, ref):
    add_one(os.path.join(tmp, "addone.onnx"))
    s = Server(tmp, ["--max-batch-size", "16", "--batch-interval", "20000",
                     "--model", "mlp=" + os.path.join(tmp, "mlp.onnx"),
                     "--model", "add=" + os.path.join(tmp, "addone.onnx")],
               "batch")
    try:
        def body(t, i):
            return v2("x", [1 + (t % 2), 4], "FP32",
                      [float(t) / 7, float(i) / 3, -1.0, 2.0] * (1 + t % 2))
        res = hammer(s, 32, 5, body, "/v2/models/mlp/infer")
        bad = 0
        for st, _, d, b in res:
            x = np.array(b["inputs"][0]["data"], dtype=np.float32).reshape(-1, 4)
            if st != 200 or not np.allclose(j(d)["outputs"][0]["data"],
                                            ref(x).flatten(), rtol=1e-5,
                                            atol=1e-5):
                bad += 1
        check(bad == 0, "batched results equal numpy/unbatched (%d bad)" % bad)
        st, _, d = s.req("GET", "/metrics")
        big = 0
        for line in d.decode().splitlines():
            if 'model="mlp"' not in line:
                continue
            if line.startswith("axon_batch_size_bucket") and 'le="1"' in line:
                le1 = float(line.split()[-1])
            if line.startswith("axon_batch_size_count"):
                total = float(line.split()[-1])
        big = total - le1
        check(big > 0, "batch-size histogram has batches > 1 (%d of %d)" %
              (big, total))
        # mixed non-batch shapes: [1,2], [2,3], [1,5] requests at once
        def mixed(t, i):
            n = (2, 3, 5)[t % 3]
            rows = 1 + (t % 2)
            return v2("x", [rows, n], "FP32",
                      [float(t * 100 + i * 10 + k) for k in range(rows * n)])
        res = hammer(s, 24, 4, mixed, "/v2/models/add/infer")
        bad = 0
        for st, _, d, b in res:
            xin = b["inputs"][0]
            r = j(d) if st == 200 else {}
            if (st != 200 or r["outputs"][0]["shape"] != xin["shape"] or
                    r["outputs"][0]["data"] !=
                    [v * 2 + 1 for v in xin["data"]]):
                bad += 1
        st, _, d = s.req("GET", "/v2/models/add/stats")
        execs = j(d)["model_stats"][0]["execution_count"]
        check(bad == 0 and execs < len(res),
              "batching never mixes non-batch shapes (%d bad, %d runs for "
              "%d requests)" % (bad, execs, len(res)))
        check(s.stop() == 0, "batching server exits 0")
    finally:
        s.stop(signal.SIGKILL)


def drain(tmp):
    s = Server(tmp, ["--threads", "1", "--workers", "1",
                     "--model", "slow=" + os.path.join(tmp, "slow.onnx")],
               "drain")
    try:
        x = np.ones((64, 256), dtype=np.float32)
        body = v2("x", [64, 256], "FP32", x.flatten().tolist())
        t0 = time.time()
        st, _, _ = s.req("POST", "/v2/models/slow/infer", body)
        one = time.time() - t0
        # enough queued work that it cannot finish before the signal
        nreq = max(6, int(0.6 / max(one, 0.005)))
        with cf.ThreadPoolExecutor(nreq) as ex:
            futs = [ex.submit(s.req, "POST", "/v2/models/slow/infer", body)
                    for _ in range(nreq)]
            time.sleep(0.15)
            s.proc.send_signal(signal.SIGTERM)
            codes = [f.result()[0] for f in futs]
        rc = s.proc.wait(timeout=30)
        took = time.time() - t0 - one
        check(codes == [200] * nreq, "drain: all %d in-flight requests "
              "answered %s" % (nreq, sorted(set(codes))))
        check(took > 0.2, "drain: SIGTERM arrived while requests "
              "were in flight (one %.3fs, all %.3fs)" % (one, took))
        check(rc == 0, "drain: exit 0")
    finally:
        s.stop(signal.SIGKILL)


if __name__ == "__main__":
    main()
