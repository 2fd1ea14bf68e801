#!/usr/bin/env bash
# The README's main job: with Axon built (make build), deploy the iris
# example (examples/iris/axon.yaml) with the local daemon on :8080, ask it
# one question, and print how to talk to it. Idempotent: re-running with the
# daemon up prints "unchanged".
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
axon="$root/build/axon"
port="${AXON_PORT:-8080}"

"$axon" validate "$root/examples/iris/axon.yaml"
"$axon" deploy "$root/examples/iris/axon.yaml" --port "$port"
echo
echo "== axon predict iris examples/iris/sample.json"
"$axon" predict iris "$root/examples/iris/sample.json"
echo
"$axon" get
cat <<MSG

Axon is serving the iris classifier on http://127.0.0.1:$port
  curl -s -X POST http://127.0.0.1:$port/iris -d '{"features": [[5.1, 3.5, 1.4, 0.2]]}'
  curl -s -X POST http://127.0.0.1:$port/v2/models/iris/infer -d @examples/iris/sample.json
  curl -s http://127.0.0.1:$port/metrics | head
  build/axon get iris        build/axon logs iris        build/axon down
MSG
