#!/usr/bin/python3
"""Slow and idle clients cannot hold `axon serve`'s connections: runs the
real binary on loopback with a short --connection-timeout and a per-IP
limit, then checks that an idle connection, a client stuck in its headers
and a client dripping its body one byte at a time are all cut off within a
bounded time, that a client over the per-IP limit is turned away, and that
ordinary requests keep being answered meanwhile."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

AXON = os.environ.get("AXON_BIN", "build/axon")
FAILS = []
TIMEOUT_S = 2


def check(cond, what):
    print(("ok  " if cond else "FAIL"), what)
    if not cond:
        FAILS.append(what)


def make_model(path):
    w = numpy_helper.from_array(np.ones((4, 2), np.float32), "w")
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "ones",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])], [w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.save(m, path)


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.settimeout(10)
    return s


def closed_within(s, limit):
    """Seconds until the server closes s (recv gives EOF or a reset), or
    None if it is still open after `limit` seconds."""
    t0 = time.time()
    s.settimeout(0.2)
    while time.time() - t0 < limit:
        try:
            data = s.recv(4096)
            if data == b"" or data.startswith(b"HTTP/1.1 4") or data.startswith(b"HTTP/1.1 5"):
                return time.time() - t0
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.time() - t0
    return None


def predict(port):
    s = connect(port)
    body = json.dumps([[1, 2, 3, 4]]).encode()
    s.sendall(b"POST /ones HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body)
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.split(b"\r\n", 1)[0], data.split(b"\r\n\r\n", 1)[-1]


def main():
    tmp = tempfile.mkdtemp(prefix="axon_slow_")
    model = os.path.join(tmp, "ones.onnx")
    make_model(model)
    portfile = os.path.join(tmp, "port")
    log = open(os.path.join(tmp, "log"), "w")
    proc = subprocess.Popen(
        [AXON, "serve", "--port", "0", "--port-file", portfile,
         "--connection-timeout", str(TIMEOUT_S), "--per-ip-limit", "4",
         "--no-access-log", "--model", "ones=" + model], stdout=log, stderr=log)
    try:
        for _ in range(200):
            if os.path.exists(portfile) and open(portfile).read().strip():
                break
            time.sleep(0.05)
        port = int(open(portfile).read())
        status, body = predict(port)
        check(status == b"HTTP/1.1 200 OK" and json.loads(body) == {"y": [[10.0, 10.0]]},
              "a normal request is answered (%r %r)" % (status, body[:60]))

        idle = connect(port)
        t = closed_within(idle, TIMEOUT_S + 4)
        check(t is not None and t >= TIMEOUT_S - 0.5,
              "an idle connection is closed after the timeout (%s s)" % t)
        idle.close()

        stuck = connect(port)
        stuck.sendall(b"POST /ones HTTP/1.1\r\nHost: x\r\n")
        t = closed_within(stuck, TIMEOUT_S + 4)
        check(t is not None, "a client stuck in its headers is cut off (%s s)" % t)
        stuck.close()

        # Dripping one byte every half second is never idle for the
        # inactivity timeout; the per-request deadline must still end it.
        drip = connect(port)
        drip.sendall(b"POST /ones HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        t0 = time.time()
        cut = None
        drip.settimeout(0.5)
        while time.time() - t0 < 4 * TIMEOUT_S + 6:
            try:
                drip.sendall(b"[")
                data = drip.recv(4096)
                if data == b"" or data.startswith(b"HTTP/1.1"):
                    cut = time.time() - t0
                    break
            except socket.timeout:
                continue
            except (ConnectionResetError, BrokenPipeError):
                cut = time.time() - t0
                break
        check(cut is not None, "a client dripping its body is cut off (%s s)" % cut)
        drip.close()

        held = [connect(port) for _ in range(4)]
        time.sleep(0.3)
        extra = connect(port)
        t = closed_within(extra, 2)
        check(t is not None and t < 1.5,
              "a fifth connection from one IP is turned away (%s s)" % t)
        extra.close()
        for s in held:
            s.close()
        time.sleep(0.3)
        status, _ = predict(port)
        check(status == b"HTTP/1.1 200 OK", "requests are served again after the slow clients")
    finally:
        proc.terminate()
        try:
            rc = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = -9
        log.close()
    check(rc == 0, "the server exits 0 on SIGTERM (rc %s)" % rc)
    if FAILS:
        print(open(os.path.join(tmp, "log")).read()[-3000:])
        sys.exit(1)


if __name__ == "__main__":
    main()
