#!/usr/bin/python3
"""Turns the JSON lines of bench/engine/run.sh into a Markdown table.

    report.py RESULTS.jsonl

Each line is {"config": "resnet50 b1", "system": "axon|onnxruntime|pytorch",
...keys of `axon bench --json`}. Ratios are Axon median / other median
(below 1.0 means Axon is faster).
"""
import json
import sys


def main():
    rows = {}
    order = []
    for line in open(sys.argv[1]):
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        if r["config"] not in rows:
            rows[r["config"]] = {}
            order.append(r["config"])
        rows[r["config"]][r["system"]] = r

    def g(r, sysname, key, fmt):
        v = r.get(sysname, {}).get(key)
        return fmt % v if isinstance(v, (int, float)) else "n/a"

    def ratio(r, other):
        a = r.get("axon", {}).get("median_ms")
        b = r.get(other, {}).get("median_ms")
        return "%.2f" % (a / b) if a and b else "n/a"

    print("| model | Axon median ms | ORT median ms | PyTorch median ms "
          "| Axon/ORT | Axon/PyTorch | load ms (Axon / ORT / PyTorch) "
          "| peak RSS MB (Axon / ORT / PyTorch) |")
    print("|---|---|---|---|---|---|---|---|")
    for c in order:
        r = rows[c]
        print("| %s | %s | %s | %s | %s | %s | %s / %s / %s | %s / %s / %s |" % (
            c, g(r, "axon", "median_ms", "%.1f"),
            g(r, "onnxruntime", "median_ms", "%.1f"),
            g(r, "pytorch", "median_ms", "%.1f"),
            ratio(r, "onnxruntime"), ratio(r, "pytorch"),
            g(r, "axon", "load_ms", "%.0f"), g(r, "onnxruntime", "load_ms", "%.0f"),
            g(r, "pytorch", "load_ms", "%.0f"),
            g(r, "axon", "peak_rss_mb", "%.0f"), g(r, "onnxruntime", "peak_rss_mb", "%.0f"),
            g(r, "pytorch", "peak_rss_mb", "%.0f")))

    # Minimum latencies: less sensitive to other load on a shared machine.
    print()
    print("| model | Axon min ms | ORT min ms | PyTorch min ms | Axon/ORT (min) | Axon/PyTorch (min) |")
    print("|---|---|---|---|---|---|")
    for c in order:
        r = rows[c]

        def mratio(other):
            a = r.get("axon", {}).get("min_ms")
            b = r.get(other, {}).get("min_ms")
            return "%.2f" % (a / b) if a and b else "n/a"
        print("| %s | %s | %s | %s | %s | %s |" % (
            c, g(r, "axon", "min_ms", "%.1f"), g(r, "onnxruntime", "min_ms", "%.1f"),
            g(r, "pytorch", "min_ms", "%.1f"), mratio("onnxruntime"), mratio("pytorch")))


if __name__ == "__main__":
    main()
