#!/usr/bin/env python3
"""Integration test of the deploy workflow, driving the real `axon` binary:
validate (good spec, errors with file:line:col and suggestions, defaults
table), deploy (created / unchanged / updated), get (table, NAME, -o json,
--watch), logs, version folders (a new version goes live within 2 s, a
broken one never replaces a working one), refresh, delete, down, restart
from state.db, predict, exit codes and --help on every command.

Env: AXON_BIN (the binary), AXON_SOURCE_DIR (repo root). Each run uses its
own temp state dir (AXON_STATE_DIR) and a free port.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deploy_util import BIN, MAKE, PY, SRC, free_port  # noqa: E402

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    else:
        print("ok:", what, flush=True)


def run(*args, env=None, timeout=60, stdin=None):
    p = subprocess.run([BIN] + list(args), capture_output=True, text=True,
                       timeout=timeout, env=env, input=stdin)
    return p.returncode, p.stdout, p.stderr


def get_json(env, name=None):
    args = ["get"] + ([name] if name else []) + ["-o", "json"]
    rc, out, err = run(*args, env=env)
    if rc != 0:
        return None
    return json.loads(out)


def wait_for(fn, timeout):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


def main():
    tmp = tempfile.mkdtemp(prefix="axon_deploy_test_")
    env = dict(os.environ)
    env["AXON_STATE_DIR"] = os.path.join(tmp, "state")
    port = free_port()
    try:
        models = os.path.join(tmp, "models")
        subprocess.run([PY, MAKE, "--root", os.path.join(models, "iris"),
                        "--version", "1"], check=True, capture_output=True)
        spec = os.path.join(tmp, "axon.yaml")
        with open(spec, "w") as f:
            f.write("- name: iris\n  kind: RealtimeAPI\n"
                    "  model: {path: models/iris}\n"
                    "  autoscaling: {min_replicas: 1, max_replicas: 2}\n")

        # --help everywhere, exit 0 and a usage line
        for cmd in ["validate", "deploy", "get", "logs", "predict", "refresh",
                    "delete", "down", "daemon"]:
            rc, out, _ = run(cmd, "--help", env=env)
            check(rc == 0 and out.startswith("usage: axon " + cmd),
                  f"{cmd} --help")

        # validate
        rc, out, _ = run("validate", spec, env=env)
        check(rc == 0 and "1 API OK" in out, "validate accepts the spec")
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("- name: iris\n  kind: RealtimeAPI\n"
                    "  model: {path: models/iris}\n  max_concurency: 4\n")
        rc, out, err = run("validate", bad, env=env)
        check(rc == 1 and err.count("\n") == 1 and
              f"{bad}:4:3:" in err and "did you mean 'max_concurrency'" in err,
              "validate: one-line error with position and suggestion")
        with open(bad, "w") as f:
            f.write("- name: iris\n  kind: RealtimeAPI\n"
                    "  model: {path: nowhere/iris}\n")
        rc, out, err = run("validate", bad, env=env)
        check(rc == 1 and "does not exist" in err, "validate: missing model")
        rc, out, _ = run("validate", "--print-defaults", env=env)
        check(rc == 0 and "| `autoscaling.window` |" in out and "`60s`" in out,
              "validate --print-defaults prints the table")
        doc = open(os.path.join(SRC, "docs", "deploy.md")).read()
        table = doc.split("<!-- defaults:begin -->\n")[1].split(
            "<!-- defaults:end -->")[0]
        check(table == out, "docs/deploy.md defaults table is up to date")
        rc, _, err = run("validate", "--bogus", env=env)
        check(rc == 2 and err.startswith("axon: validate:"),
              "unknown option is a usage error")

        # commands before any daemon: one-line failure
        rc, _, err = run("get", env=env)
        check(rc == 1 and "no daemon is running" in err and
              err.count("\n") == 1, "get without daemon fails in one line")

        # deploy: created, then unchanged
        rc, out, err = run("deploy", spec, "--port", str(port), env=env)
        check(rc == 0 and "created" in out and
              f"http://127.0.0.1:{port}/iris" in out, "deploy creates")
        sock = os.path.join(env["AXON_STATE_DIR"], "axon.sock")
        check(os.path.exists(sock) and
              (os.stat(sock).st_mode & 0o777) == 0o600, "admin socket is 0600")
        rc, out, _ = run("deploy", spec, env=env)
        check(rc == 0 and "unchanged" in out, "re-deploy is unchanged")

        j = get_json(env)
        check(j and j[0]["name"] == "iris" and j[0]["status"] == "live" and
              j[0]["version"] == 1 and j[0]["replicas_requested"] == 1,
              "get -o json shows the live API")
        rc, out, _ = run("get", env=env)
        head = out.splitlines()[0].split() if out else []
        check(rc == 0 and head[:6] == ["API", "KIND", "STATUS", "REPLICAS",
                                       "UP-TO-DATE", "REQUESTS"] and
              "iris" in out and "live" in out and "1/1" in out,
              "get prints the table")
        rc, out, _ = run("get", "iris", env=env)
        check(rc == 0 and "features float[batch,4]" in out and
              "probabilities float[batch,3]" in out and "version:     1" in out,
              "get NAME shows signature and version")
        rc, out, _ = run("get", "--watch-count", "2", env=env)
        check(rc == 0 and out.count("UP-TO-DATE") == 2, "get --watch redraws")
        rc, _, err = run("get", "nope", env=env)
        check(rc == 1 and "no API named 'nope'" in err, "get unknown API")

        # a spec change: updated
        with open(spec, "a") as f:
            f.write("  max_concurrency: 8\n")
        rc, out, _ = run("deploy", spec, env=env)
        check(rc == 0 and "updated" in out, "changed spec is updated")
        # let that roll-out finish before the next change (slow under ASan)
        wait_for(lambda: (get_json(env, "iris") or {}).get("status") == "live"
                 and (get_json(env, "iris") or {}).get("up_to_date"), 20)

        # a spec pointing at a broken model: the old one keeps serving
        broken = os.path.join(tmp, "broken.onnx")
        subprocess.run([PY, MAKE, "--out", broken, "--broken"], check=True,
                       capture_output=True)
        good_spec = open(spec).read()
        with open(spec, "w") as f:
            f.write(good_spec.replace("models/iris", "broken.onnx"))
        rc, out, err = run("deploy", spec, env=env)
        j = get_json(env, "iris")
        check(rc == 1 and "AxonNoSuchOp" in err and j["status"] == "live" and
              j["version"] == 1 and "AxonNoSuchOp" in j["error"] and
              "models/iris" in json.dumps(j["spec"]),
              "a spec that fails to load leaves the previous one serving")
        if not (rc == 1 and "AxonNoSuchOp" in err and j["status"] == "live" and
                j["version"] == 1 and "AxonNoSuchOp" in j["error"]):
            print("  deploy rc", rc, "stderr", err.strip(), "get", json.dumps(j)[:600])
        # the version watcher (every second) must not wipe that error
        time.sleep(1.5)
        j = get_json(env, "iris")
        check("AxonNoSuchOp" in j["error"] and not j["up_to_date"] and
              j["status"] == "live",
              "the failed spec's error stays shown after the watcher runs")
        with open(spec, "w") as f:
            f.write(good_spec)
        rc, out, _ = run("deploy", spec, env=env)
        j = get_json(env, "iris")
        check(rc == 0 and "unchanged" in out and j["up_to_date"] and
              j["error"] == "", "the good spec again clears the error")

        # new version folder: live within 2 s
        subprocess.run([PY, MAKE, "--root", os.path.join(models, "iris"),
                        "--version", "2"], check=True, capture_output=True)
        t0 = time.time()
        ok = wait_for(lambda: (get_json(env, "iris") or {}).get("version") == 2,
                      2.5)
        check(ok and time.time() - t0 <= 2.5, "version 2 live within 2 s")

        # broken version 3: version 2 keeps serving, error shown
        subprocess.run([PY, MAKE, "--root", os.path.join(models, "iris"),
                        "--version", "3", "--broken"], check=True,
                       capture_output=True)
        ok = wait_for(lambda: "version 3" in
                      (get_json(env, "iris") or {}).get("error", ""), 3)
        j = get_json(env, "iris")
        check(ok and j["version"] == 2 and j["status"] == "live" and
              not j["up_to_date"], "broken version never replaces a working one")
        rc, out, _ = run("get", env=env)
        check(" no " in out, "get shows not up to date")
        rc, out, _ = run("logs", "iris", env=env)
        check(rc == 0 and "version 2 is live (was 1)" in out and
              "version 3 not rolled out" in out, "logs show the roll-outs")

        # logs -f streams until interrupted
        p = subprocess.Popen([BIN, "logs", "iris", "-f"], env=env,
                             stdout=subprocess.PIPE, text=True)
        time.sleep(0.5)
        run("refresh", "iris", env=env)
        time.sleep(1.0)
        p.terminate()
        out, _ = p.communicate(timeout=10)
        check("version 2 reloaded" in out, "logs -f shows new events")

        # refresh keeps serving
        rc, out, _ = run("refresh", "iris", env=env)
        j = get_json(env, "iris")
        check(rc == 0 and "refreshed" in out and j["version"] == 2,
              "refresh reloads")

        # predict
        sample = os.path.join(SRC, "examples", "iris", "sample.json")
        rc, out, _ = run("daemon", "--help", env=env)
        info_http = subprocess.run(
            [BIN, "get", "-o", "json"], env=env, capture_output=True,
            text=True)
        rc, out, err = run("predict", "iris", sample, env=env)
        if rc == 0:
            ans = json.loads(out)
            probs = ans["outputs"][0]["data"]
            check(len(probs) == 6 and probs.index(max(probs[:3])) == 0 and
                  probs[3:].index(max(probs[3:])) == 2,
                  "predict answers setosa, virginica")
        else:
            # no HTTP server in this build: a one-line reason
            check(rc == 1 and err.count("\n") == 1 and
                  err.startswith("axon: predict:"), "predict fails cleanly")
        rc, _, err = run("predict", "iris", "/nonexistent.json", env=env)
        check(rc == 1 and "/nonexistent.json" in err, "predict missing file")

        # down, then a restart serves the same API (version 2, not 3)
        rc, out, _ = run("down", env=env)
        check(rc == 0, "down")
        rc, _, err = run("get", env=env)
        check(rc == 1, "daemon is gone after down")
        daemon = subprocess.Popen([BIN, "daemon"], env=env,
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        ok = wait_for(lambda: get_json(env), 15)
        j = get_json(env, "iris")
        check(ok and j and j["version"] == 2 and j["status"] == "live" and
              '"max_concurrency": 8' in json.dumps(j["spec"]).replace(
                  '"max_concurrency":8', '"max_concurrency": 8'),
              "restart restores the applied spec and the working version")
        # a crash (SIGKILL) also comes back
        daemon.kill()
        daemon.wait()
        daemon = subprocess.Popen([BIN, "daemon"], env=env,
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        ok = wait_for(lambda: get_json(env), 15)
        check(ok and ok[0]["name"] == "iris", "crash restart restores")

        # splitter routes only to deployed realtime APIs
        sp = os.path.join(tmp, "split.yaml")
        with open(sp, "w") as f:
            f.write("- name: ab\n  kind: TrafficSplitter\n"
                    "  apis: [{name: iris, weight: 100}]\n")
        rc, out, _ = run("deploy", sp, env=env)
        check(rc == 0 and "created" in out, "splitter over iris created")
        rc, _, err = run("delete", "iris", env=env)
        check(rc == 1 and "routes to it" in err,
              "cannot delete an API a splitter uses")
        with open(sp, "w") as f:
            f.write("- name: ab2\n  kind: TrafficSplitter\n"
                    "  apis: [{name: ghost, weight: 100}]\n")
        rc, out, err = run("deploy", sp, env=env)
        check(rc == 1 and "ghost" in err, "splitter to unknown API fails")

        # delete --all, then down
        rc, out, _ = run("delete", "--all", env=env)
        check(rc == 0 and "iris" in out and "ab " in out.replace("\n", " "),
              "delete --all")
        j = get_json(env)
        check(j == [], "nothing left after delete --all")
        rc, _, err = run("delete", "iris", env=env)
        check(rc == 1 and "no API named" in err, "delete unknown API")
        rc, _, _ = run("down", env=env)
        check(rc == 0, "down again")
        daemon.wait(timeout=30)
        check(daemon.returncode == 0, "daemon exits 0 after down")
    finally:
        subprocess.run([BIN, "down"], env=env, capture_output=True,
                       timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
