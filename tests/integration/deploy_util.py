"""Helpers shared by the deploy/serving integration tests (test_deploy*.py,
test_routing.py), which drive the real `axon` binary: where the binary and
the sources are, a free loopback port, one `axon` CLI call, `axon get -o
json`, and the closing FAIL/summary report.

Not a test itself (CMake runs only test_*.py). A test script imports it
after putting its own folder on sys.path.
"""
import json
import os
import socket
import subprocess

BIN = os.environ.get("AXON_BIN", "build/axon")
SRC = os.environ.get("AXON_SOURCE_DIR", os.path.join(os.path.dirname(
    os.path.abspath(__file__)), "..", ".."))
PY = "/usr/bin/python3"
MAKE = os.path.join(SRC, "examples", "iris", "make_model.py")


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def axon(env, *args, timeout=60):
    """Runs `axon ARGS...` with env; returns the CompletedProcess (text)."""
    return subprocess.run([BIN] + list(args), env=env, capture_output=True,
                          text=True, timeout=timeout)


def get_json(env, name):
    """`axon get NAME -o json` as a dict, or {} when the command fails."""
    p = axon(env, "get", name, "-o", "json")
    return json.loads(p.stdout) if p.returncode == 0 else {}


def report(failures):
    """Prints each failure and the count; returns the exit status."""
    for f in failures:
        print("FAIL:", f)
    print(f"{len(failures)} failed")
    return 1 if failures else 0
