#!/usr/bin/env python3
"""Rolling updates under load, with the real `axon` binary: 8 client threads
send requests continuously (bounded loops) to /v2/models/iris/infer while
five new versions are rolled out one after another (each live within 2 s)
and the spec is changed twice. Checks: zero failed requests, and in every
client's sequence the response's model_version moves forward, never back;
at the end the newest version serves.

Env: AXON_BIN, AXON_SOURCE_DIR. Uses its own AXON_STATE_DIR and a free port.
"""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deploy_util import MAKE, PY, axon, free_port, get_json, report  # noqa: E402
REQ = json.dumps({"inputs": [{"name": "features", "shape": [1, 4],
                              "datatype": "FP32",
                              "data": [5.1, 3.5, 1.4, 0.2]}]})


def api_version(env):
    return get_json(env, "iris").get("version")


def main():
    tmp = tempfile.mkdtemp(prefix="axon_rolling_")
    env = dict(os.environ, AXON_STATE_DIR=os.path.join(tmp, "state"))
    port = free_port()
    failures = []
    try:
        root = os.path.join(tmp, "models", "iris")
        subprocess.run([PY, MAKE, "--root", root, "--version", "1"],
                       check=True, capture_output=True)
        spec = os.path.join(tmp, "axon.yaml")
        base = ("- name: iris\n  kind: RealtimeAPI\n"
                "  model: {path: models/iris}\n"
                "  update_strategy: {max_surge: 1, max_unavailable: 0}\n")
        with open(spec, "w") as f:
            f.write(base)
        p = axon(env, "deploy", spec, "--port", str(port))
        if p.returncode:
            print("deploy failed:", p.stderr)
            return 1

        stop = threading.Event()
        results = [[] for _ in range(8)]
        errors = []

        def client(k):
            conn = None
            for _ in range(100000):          # bounded loop
                if stop.is_set():
                    break
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", port,
                                                          timeout=30)
                    conn.request("POST", "/v2/models/iris/infer", REQ,
                                 {"Content-Type": "application/json"})
                    r = conn.getresponse()
                    body = r.read()
                    if r.status != 200:
                        errors.append((k, r.status, body[:200]))
                        continue
                    v = int(json.loads(body).get("model_version", -1))
                    results[k].append(v)
                except Exception as e:  # connection reset etc. are failures
                    errors.append((k, "exception", repr(e)))
                    if conn is not None:
                        conn.close()
                    conn = None
            if conn is not None:
                conn.close()

        threads = [threading.Thread(target=client, args=(k,))
                   for k in range(8)]
        for t in threads:
            t.start()
        time.sleep(0.5)

        for v in range(2, 7):
            subprocess.run([PY, MAKE, "--root", root, "--version", str(v)],
                           check=True, capture_output=True)
            t0 = time.time()
            while time.time() - t0 < 5 and api_version(env) != v:
                time.sleep(0.05)
            dt = time.time() - t0
            if api_version(env) != v or dt > 2.5:
                failures.append(f"version {v} live after {dt:.2f}s")
            if v == 3:
                with open(spec, "w") as f:
                    f.write(base + "  max_concurrency: 8\n")
                p = axon(env, "deploy", spec)
                if p.returncode or "updated" not in p.stdout:
                    failures.append("spec change 1 not applied: " + p.stderr)
            if v == 5:
                with open(spec, "w") as f:
                    f.write(base + "  max_concurrency: 8\n"
                            "  server_side_batching: {max_batch_size: 4, "
                            "batch_interval: 2ms}\n")
                p = axon(env, "deploy", spec)
                if p.returncode or "updated" not in p.stdout:
                    failures.append("spec change 2 not applied: " + p.stderr)
            time.sleep(0.3)
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join(timeout=60)

        total = sum(len(r) for r in results)
        print(f"{total} requests, {len(errors)} failed")
        if errors:
            failures.append(f"{len(errors)} failed requests, e.g. {errors[:3]}")
        if total < 200:
            failures.append(f"only {total} requests answered")
        for k, seq in enumerate(results):
            back = [i for i in range(1, len(seq)) if seq[i] < seq[i - 1]]
            if back:
                i = back[0]
                failures.append(f"client {k}: version went back "
                                f"{seq[i - 1]} -> {seq[i]}")
        last = [r[-1] for r in results if r]
        if not last or max(last) != 6:
            failures.append(f"last versions seen {last}, expected 6")
        seen = sorted(set(v for r in results for v in r))
        print("versions seen:", seen)
        if len(seen) < 4:
            failures.append(f"saw too few versions under load: {seen}")
    finally:
        axon(env, "down")
        shutil.rmtree(tmp, ignore_errors=True)
    return report(failures)


if __name__ == "__main__":
    sys.exit(main())
