#!/usr/bin/env python3
"""Autoscaling live, with the real `axon` binary: an API with a short window
and no stabilization delay, target_in_flight 0.5, is loaded by 8 client
threads; `axon get` must show more than one replica requested and ready
while the load lasts, `axon logs` the decision, and after the load stops the
API scales back to min_replicas. No request may fail meanwhile.

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
ROWS = 64
REQ = json.dumps({"inputs": [{"name": "features", "shape": [ROWS, 4],
                              "datatype": "FP32",
                              "data": [5.1, 3.5, 1.4, 0.2] * ROWS}]})


def main():
    tmp = tempfile.mkdtemp(prefix="axon_autoscale_")
    env = dict(os.environ, AXON_STATE_DIR=os.path.join(tmp, "state"))
    port = free_port()
    failures = []
    try:
        subprocess.run([PY, MAKE, "--root", os.path.join(tmp, "models",
                                                         "iris")],
                       check=True, capture_output=True)
        spec = os.path.join(tmp, "axon.yaml")
        with open(spec, "w") as f:
            f.write("- name: iris\n  kind: RealtimeAPI\n"
                    "  model: {path: models/iris}\n"
                    "  max_concurrency: 2\n"
                    "  autoscaling:\n"
                    "    min_replicas: 1\n    max_replicas: 3\n"
                    "    target_in_flight: 0.5\n    window: 2s\n"
                    "    upscale_stabilization_period: 0s\n"
                    "    downscale_stabilization_period: 2s\n")
        p = axon(env, "deploy", spec, "--port", str(port))
        if p.returncode:
            print("deploy failed:", p.stderr)
            return 1
        stop = threading.Event()
        errors = []
        count = [0]

        def client():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for _ in range(200000):
                if stop.is_set():
                    break
                try:
                    conn.request("POST", "/v2/models/iris/infer", REQ,
                                 {"Content-Type": "application/json"})
                    r = conn.getresponse()
                    r.read()
                    if r.status != 200:
                        errors.append(r.status)
                    count[0] += 1
                except Exception as e:
                    errors.append(repr(e))
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port,
                                                      timeout=30)
            conn.close()

        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        peak = 0
        table = ""
        t0 = time.time()
        # Generous bound: on 2 shared cores in CI the clients and the daemon
        # compete; a passing run leaves the loop as soon as it scaled.
        while time.time() - t0 < 45:
            j = get_json(env, "iris")
            if j.get("replicas_requested", 0) > peak:
                peak = j["replicas_requested"]
                table = axon(env, "get").stdout
            if peak >= 2 and j.get("replicas_ready", 0) >= 2:
                break
            time.sleep(0.25)
        print(table)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        print(f"{count[0]} requests, {len(errors)} failed, peak {peak}")
        if peak < 2:
            failures.append(f"never scaled up (peak {peak})")
        if "2/2" not in table and "3/3" not in table and "2/3" not in table:
            failures.append("axon get did not show the new replicas")
        logs = axon(env, "logs", "iris").stdout
        if "autoscaling: 1 -> " not in logs:
            failures.append("no autoscaling event in logs")
        if errors:
            failures.append(f"{len(errors)} failed requests: {errors[:3]}")
        # idle: back to min_replicas
        t0 = time.time()
        while time.time() - t0 < 45 and get_json(env, "iris").get(
                "replicas_requested") != 1:
            time.sleep(0.25)
        if get_json(env, "iris").get("replicas_requested") != 1:
            failures.append("did not scale back down to 1")
    finally:
        axon(env, "down")
        shutil.rmtree(tmp, ignore_errors=True)
    return report(failures)


if __name__ == "__main__":
    sys.exit(main())
