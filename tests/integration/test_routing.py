#!/usr/bin/env python3
"""Per-request routing through the deploy daemon, with the real `axon`
binary on loopback:

 - TrafficSplitter: 1000 requests to a 70/30 splitter over two APIs whose
   models output a constant naming them land within 4 standard deviations
   of the weights; a shadow API whose model wants another input shape gets a
   copy of every request (its 4xx count goes up in its metrics and in
   `axon get`) while every caller answer stays 200.
 - models: {dir, cache_size: 2}: five models in the folder, each answered
   by name at /v2/models/{api}/models/{model}/infer and POST /{api}/{model};
   never more than 2 loaded (metrics), the least recently used is evicted,
   cold loads show in axon_model_load_seconds, unknown names are 404.
 - The autoscaler's worker-count change does not reload the model (no new
   model_swapped/model_loaded event, same load time in metrics).
 - version_policy all: /v2/models/{m}/versions/{v}/infer answers with
   version v's model; the plain route answers with the newest.

Env: AXON_BIN, AXON_SOURCE_DIR. Uses its own AXON_STATE_DIR and a free port.
"""
import fcntl
import http.client
import json
import math
import os
import re
import shutil
import sys
import tempfile
import threading
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy_util  # noqa: E402
from deploy_util import free_port  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def const_model(path, value, width=2):
    """y = x * 0 + value, x: [N, width] float."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", width])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", width])
    zero = numpy_helper.from_array(np.zeros([width], np.float32), "zero")
    val = numpy_helper.from_array(np.full([width], value, np.float32), "val")
    g = helper.make_graph([helper.make_node("Mul", ["x", "zero"], ["t"]),
                           helper.make_node("Add", ["t", "val"], ["y"])],
                          "const", [x], [y], [zero, val])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save(m, path)


def axon(env, *args):
    return deploy_util.axon(env, *args, timeout=120)


REQ = json.dumps({"inputs": [{"name": "x", "shape": [1, 2],
                              "datatype": "FP32", "data": [1.0, 2.0]}]})
PLAIN = json.dumps({"x": [[1.0, 2.0]]})


class Client:
    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def req(self, method, path, body=None):
        for attempt in range(2):
            try:
                self.conn.request(method, path, body,
                                  {"Content-Type": "application/json"})
                r = self.conn.getresponse()
                return r.status, r.read().decode()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1",
                                                       self.port, timeout=30)
                if attempt:
                    raise

    def infer(self, path):
        v2 = path.startswith("/v2/")
        st, body = self.req("POST", path, REQ if v2 else PLAIN)
        if st != 200:
            return st, None, body
        j = json.loads(body)
        if v2:
            return st, j["outputs"][0]["data"][0], j
        return st, j["y"][0][0], j


def metric(text, name, labels):
    """Sum of the samples of name whose labels include all of labels."""
    total, found = 0.0, False
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
            found = True
    return total if found else None


def main():
    tmp = tempfile.mkdtemp(prefix="axon_routing_")
    env = dict(os.environ, AXON_STATE_DIR=os.path.join(tmp, "state"))
    port = free_port()
    m = os.path.join(tmp, "models")
    const_model(f"{m}/a.onnx", 1.0)
    const_model(f"{m}/b.onnx", 2.0)
    const_model(f"{m}/bad.onnx", 3.0, width=3)   # shadow: wrong shape
    for i in range(5):
        const_model(f"{m}/dir/m{i}.onnx", 10.0 + i)
    for v in (1, 2, 3):
        const_model(f"{m}/ver/{v}/model.onnx", 100.0 + v)
    spec = os.path.join(tmp, "axon.yaml")
    with open(spec, "w") as f:
        f.write("- name: a\n  kind: RealtimeAPI\n  model: {path: models/a.onnx}\n"
                "  autoscaling: {min_replicas: 1, max_replicas: 3,"
                " target_in_flight: 0.25, window: 1s,"
                " upscale_stabilization_period: 0s,"
                " downscale_stabilization_period: 1s}\n"
                "- name: b\n  kind: RealtimeAPI\n  model: {path: models/b.onnx}\n"
                "- name: shadow\n  kind: RealtimeAPI\n"
                "  model: {path: models/bad.onnx}\n"
                "- name: multi\n  kind: RealtimeAPI\n"
                "  models: {dir: models/dir, cache_size: 2}\n"
                "- name: ver\n  kind: RealtimeAPI\n"
                "  model: {path: models/ver, version_policy: all}\n"
                "- name: ver12\n  kind: RealtimeAPI\n"
                "  model: {path: models/ver, version_policy: {specific: [1, 2]}}\n")
    split = os.path.join(tmp, "split.yaml")
    with open(split, "w") as f:
        f.write("- name: ab\n  kind: TrafficSplitter\n"
                "  apis: [{name: a, weight: 70}, {name: b, weight: 30},"
                " {name: shadow, shadow: true}]\n")
    try:
        p = axon(env, "deploy", spec, "--port", str(port))
        check(p.returncode == 0, "deploy realtime APIs: " + p.stdout + p.stderr)
        p = axon(env, "deploy", split)
        check(p.returncode == 0 and "created" in p.stdout,
              "deploy the splitter: " + p.stdout + p.stderr)
        c = Client(port)

        # ---- splitter
        counts = {1.0: 0, 2.0: 0}
        bad = []
        n = 1000
        for i in range(n):
            path = "/v2/models/ab/infer" if i % 2 else "/ab"
            st, v, body = c.infer(path)
            if st != 200 or v not in counts:
                bad.append((st, body))
            else:
                counts[v] += 1
        check(not bad, f"every splitter request answered 200 ({bad[:2]})")
        sd = math.sqrt(n * 0.7 * 0.3)
        check(abs(counts[1.0] - 700) < 4 * sd,
              f"70/30 split: a got {counts[1.0]}, b got {counts[2.0]}")
        # shadow copies are answered asynchronously
        deadline = time.time() + 10
        while time.time() < deadline:
            st, text = c.req("GET", "/metrics")
            s4 = metric(text, "axon_requests_total",
                        {"model": "shadow", "code": "400"})
            if s4 is not None and s4 >= n:
                break
            time.sleep(0.1)
        check(s4 == n, f"shadow got a copy of every request ({s4} 400s)")
        a2 = metric(text, "axon_requests_total", {"model": "a", "code": "200"})
        b2 = metric(text, "axon_requests_total", {"model": "b", "code": "200"})
        check(a2 == counts[1.0] and b2 == counts[2.0],
              f"backend metrics match the answers ({a2}, {b2})")
        g = json.loads(axon(env, "get", "shadow", "-o", "json").stdout)
        check(g["4xx"] == n, f"axon get shadow shows {g['4xx']} 4xx")
        g = json.loads(axon(env, "get", "ab", "-o", "json").stdout)
        check(g["status"] == "live" and not g["error"],
              f"splitter is live in axon get ({g['status']}, {g['error']})")

        # ---- a working shadow gets binary-extension copies intact
        split2 = os.path.join(tmp, "split2.yaml")
        with open(split2, "w") as f:
            f.write("- name: ab2\n  kind: TrafficSplitter\n"
                    "  apis: [{name: a, weight: 100}, {name: b, shadow: true}]\n")
        p = axon(env, "deploy", split2)
        check(p.returncode == 0, "deploy a second splitter")
        st, text = c.req("GET", "/metrics")
        b0 = metric(text, "axon_requests_total", {"model": "b", "code": "200"})
        hdr = json.dumps({"inputs": [{"name": "x", "shape": [1, 2],
                                      "datatype": "FP32", "parameters":
                                      {"binary_data_size": 8}}]}).encode()
        body = hdr + np.array([1.0, 2.0], np.float32).tobytes()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        codes = []
        for i in range(10):
            conn.request("POST", "/v2/models/ab2/infer", body, {
                "Content-Type": "application/octet-stream",
                "Inference-Header-Content-Length": str(len(hdr))})
            r = conn.getresponse()
            out = r.read()
            codes.append(r.status)
        conn.close()
        check(codes == [200] * 10, f"binary requests through ab2 ({codes})")
        deadline = time.time() + 10
        while time.time() < deadline:
            st, text = c.req("GET", "/metrics")
            b1 = metric(text, "axon_requests_total",
                        {"model": "b", "code": "200"})
            if b1 - b0 >= 10:
                break
            time.sleep(0.1)
        check(b1 - b0 == 10, f"shadow b answered the 10 binary copies "
                             f"({b1 - b0})")
        axon(env, "delete", "ab2")
        split3 = os.path.join(tmp, "split3.yaml")
        with open(split3, "w") as f:
            f.write("- name: ab3\n  kind: TrafficSplitter\n"
                    "  apis: [{name: multi, weight: 100}]\n")
        p = axon(env, "deploy", split3)
        check(p.returncode != 0 and "many models" in p.stdout + p.stderr,
              "a splitter over a multi-model API is refused")
        axon(env, "delete", "ab3")

        # ---- model folder with an LRU of 2
        seq = ["m0", "m1", "m0", "m2", "m3", "m0", "m4", "m4", "m1"]
        # LRU replay: what should be loaded after each request
        lru, evictions = [], 0
        for name in seq:
            if name in lru:
                lru.remove(name)
            elif len(lru) == 2:
                lru.pop(0)
                evictions += 1
            lru.append(name)
            i = int(name[1:])
            path = (f"/v2/models/multi/models/{name}/infer"
                    if i % 2 == 0 else f"/multi/{name}")
            st, v, body = c.infer(path)
            check(st == 200 and v == 10.0 + i, f"{path} -> {v}")
            st, text = c.req("GET", "/metrics")
            loaded = sorted(set(re.findall(
                r'axon_model_load_seconds\{model="multi/(m\d)"', text)))
            check(loaded == sorted(lru), f"loaded {loaded}, LRU {sorted(lru)}")
        t = metric(text, "axon_model_load_seconds", {"model": "multi/m1"})
        check(t is not None and t > 0, f"cold load time in metrics ({t})")
        st, _, _ = c.infer("/v2/models/multi/models/nope/infer")
        check(st == 404, f"unknown model of the folder is 404 ({st})")
        st, _, _ = c.infer("/v2/models/multi/infer")
        check(st == 404, f"the folder API itself is 404 ({st})")
        st, body = c.req("GET", "/v2/models/multi/models/m1")
        check(st == 200 and '"x"' in body, "folder model metadata")

        # ---- versions
        for v in (1, 2, 3):
            st, val, body = c.infer(f"/v2/models/ver/versions/{v}/infer")
            check(st == 200 and val == 100.0 + v and
                  body["model_name"] == "ver" and
                  body["model_version"] == str(v),
                  f"version {v} -> {val} ({st}, {str(body)[:80]})")
        st, text = c.req("GET", "/metrics")
        for v in (1, 2, 3):
            n200 = metric(text, "axon_requests_total",
                          {"model": "ver", "version": str(v), "code": "200"})
            check(n200 == 1, f"metrics count version {v} as model ver ({n200})")
        st, val, body = c.infer("/v2/models/ver/infer")
        check(st == 200 and val == 103.0 and body["model_version"] == "3",
              f"default route -> newest ({val})")
        st, _, _ = c.infer("/v2/models/ver/versions/7/infer")
        check(st == 404, f"absent version is 404 ({st})")
        st, val, _ = c.infer("/ver/1")
        check(st == 200 and val == 101.0, f"plain /ver/1 -> {val}")
        st, val, _ = c.infer("/v2/models/ver12/infer")
        check(st == 200 and val == 102.0, f"specific [1, 2]: default -> {val}")
        st, val, _ = c.infer("/v2/models/ver12/versions/1/infer")
        check(st == 200 and val == 101.0, f"specific [1, 2]: v1 -> {val}")
        st, _, _ = c.infer("/v2/models/ver12/versions/3/infer")
        check(st == 404, f"specific [1, 2]: v3 not served ({st})")
        # a new version: the newest moves to the default route while 3
        # stays reachable at /versions/3 the whole time
        bad3, seen = [], set()
        done = threading.Event()

        def poll3():
            cl = Client(port)
            while not done.is_set():
                st3, val3, _ = cl.infer("/v2/models/ver/versions/3/infer")
                if st3 != 200 or val3 != 103.0:
                    bad3.append((st3, val3))
                st, val, _ = cl.infer("/v2/models/ver/infer")
                if st != 200:
                    bad3.append(("default", st))
                seen.add(val)

        th3 = threading.Thread(target=poll3)
        th3.start()
        time.sleep(0.3)
        tmpv = f"{m}/ver/.4"
        const_model(f"{tmpv}/model.onnx", 104.0)
        os.rename(tmpv, f"{m}/ver/4")
        deadline = time.time() + 10
        while time.time() < deadline and 104.0 not in seen:
            time.sleep(0.1)
        time.sleep(0.5)
        done.set()
        th3.join()
        check(104.0 in seen, f"version 4 took the default route ({seen})")
        check(not bad3, f"/versions/3 and the default route never failed "
                        f"during the roll-out ({bad3[:3]})")
        st, val, _ = c.infer("/v2/models/ver/versions/4/infer")
        check(st == 200 and val == 104.0, f"/versions/4 -> {val}")

        # ---- autoscaling without a reload
        st, text = c.req("GET", "/metrics")
        load0 = metric(text, "axon_model_load_seconds", {"model": "a"})
        stop = threading.Event()
        errs = []

        rows = 4000   # enough work per request to keep some in flight
        big = json.dumps({"inputs": [{"name": "x", "shape": [rows, 2],
                                      "datatype": "FP32",
                                      "data": [1.0, 2.0] * rows}]})

        def load():
            cl = Client(port)
            while not stop.is_set():
                st, _ = cl.req("POST", "/v2/models/a/infer", big)
                if st != 200:
                    errs.append(st)

        th = [threading.Thread(target=load) for _ in range(8)]
        for x in th:
            x.start()
        peak = 0
        t0 = time.time()
        while time.time() - t0 < 30 and peak < 2:
            j = json.loads(axon(env, "get", "a", "-o", "json").stdout)
            peak = max(peak, j["replicas_ready"])
            time.sleep(0.2)
        stop.set()
        for x in th:
            x.join()
        check(peak >= 2, f"a scaled up to {peak} ready workers")
        check(not errs, f"no failed request while resizing ({errs[:3]})")
        st, text = c.req("GET", "/metrics")
        load1 = metric(text, "axon_model_load_seconds", {"model": "a"})
        check(load0 is not None and load0 == load1,
              f"resize kept the loaded model (load time {load0} -> {load1})")
        logs = axon(env, "logs", "a").stdout
        check("autoscaling" in logs and "reloaded" not in logs,
              "autoscaler logged the change, no reload")

        # ---- axon get of the folder API
        out = axon(env, "get", "multi").stdout
        check("2 of at most 2 loaded" in out and "cold loads" in out,
              "axon get multi shows the loaded models: " + out[:300])

        # ---- a restarted daemon serves the splitter and the folder again
        axon(env, "down")
        t0 = time.time()
        # `down` answers before the old daemon has exited: wait for its lock
        with open(os.path.join(tmp, "state", "daemon.pid")) as lf:
            while time.time() - t0 < 30:
                try:
                    fcntl.flock(lf, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(lf, fcntl.LOCK_UN)
                    break
                except OSError:
                    time.sleep(0.1)
        print(f"old daemon exited after {time.time() - t0:.1f}s")
        p = axon(env, "deploy", split, "--port", str(port))
        check(p.returncode == 0, "re-deploy after down: " + p.stdout + p.stderr)
        c = Client(port)
        got = set()
        for i in range(40):
            st, v, _ = c.infer("/v2/models/ab/infer")
            got.add(v if st == 200 else st)
        check(got == {1.0, 2.0}, f"splitter routes after a restart ({got})")
        st, v, _ = c.infer("/v2/models/multi/models/m3/infer")
        check(st == 200 and v == 13.0, f"folder API after a restart ({v})")
        st, v, _ = c.infer("/v2/models/ver/versions/1/infer")
        check(st == 200 and v == 101.0, f"old version after a restart ({v})")

        # ---- removing the splitter and the folder API
        p = axon(env, "delete", "ab")
        check(p.returncode == 0, "delete the splitter")
        st, _, _ = c.infer("/v2/models/ab/infer")
        check(st == 404, f"deleted splitter is 404 ({st})")
        p = axon(env, "delete", "multi")
        st, text = c.req("GET", "/metrics")
        check(p.returncode == 0 and "multi/" not in text,
              "deleting the folder API unloads its models")
    finally:
        axon(env, "down")
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
