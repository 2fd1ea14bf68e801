#!/usr/bin/env bash
# Installs every Debian package that Axon's build, tests and benchmarks need.
# Idempotent: when everything is already installed it only checks and exits.
# Needs root (or sudo) on Debian 12. No other downloads happen here; the
# benchmarks install their npm peer (onnxruntime-node) themselves.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config clang libclang-rt-14-dev
  # engine
  libdnnl-dev libopenblas-dev
  # server and control plane
  libmicrohttpd-dev libyaml-dev libsqlite3-dev
  # conformance data and model export / reference outputs
  libonnx-testdata python3 python3-onnx python3-numpy python3-torch python3-torchvision
  # integration tests
  curl prometheus procps
  # benchmarks
  wrk hyperfine nginx-light python3-fastapi uvicorn
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
# Node.js + npm (for the ONNX Runtime benchmark peer) come with the machine
# image or from nodesource; Debian's nodejs conflicts with that npm.
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
