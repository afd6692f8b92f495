#!/usr/bin/env bash
# The whole test suite, as the README's test command and CI run it: set-up, local Kafka, Redis and
# a Redis Cluster, type checks, lint and module boundaries, unit tests, then integration tests on
# the real broker and Redis. Stops only the infrastructure it started. Ends with `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/../.."

usage() {
  cat <<'EOF'
Usage: npm test

The whole test suite, as CI runs it (.ci/run): set-up (tools/ci/setup.sh), local Kafka, Redis and a
Redis Cluster of 3 masters (each stopped at the end only when this command started it), typecheck,
lint and module boundaries, unit tests, then integration tests on the real broker and Redis. Ends
with one line, `N passed, N failed`; exit 0 only when nothing failed. Takes no arguments.

Options:
  -h, --help   this text

Environment:
  KAFKA_PORT (9092), REDIS_PORT (6379), REDIS_CLUSTER_PORT_BASE (7101) and the rest of
  tools/infra/up.sh's (npm run infra:up -- --help): the local infrastructure

Example:
  npm test
  npx nx run-many -t test      (unit tests only, no infrastructure)
EOF
}
# Answered before anything is done; an argument other than --help is an error, even next to it.
help=0
for arg in "$@"; do
  case "$arg" in
    -h | --help) help=1 ;;
    *)
      echo "error: unexpected argument \"$arg\" (npm test takes none; see npm test -- --help)" >&2
      exit 2
      ;;
  esac
done
if [ "$help" = 1 ]; then usage; exit 0; fi
export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true FORCE_COLOR=0

bash tools/ci/setup.sh --with-multilingual || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

started_infra=0
if ! bash tools/infra/status.sh >/dev/null 2>&1; then
  started_infra=1
fi
started_cluster=0
if ! bash tools/infra/redis-cluster.sh status >/dev/null 2>&1; then
  started_cluster=1
fi
cleanup() {
  if [ "$started_cluster" = 1 ]; then bash tools/infra/redis-cluster.sh down >/dev/null 2>&1 || true; fi
  if [ "$started_infra" = 1 ]; then bash tools/infra/down.sh >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
bash tools/infra/up.sh || { echo "local infrastructure failed to start"; echo "0 passed, 1 failed"; exit 1; }
# A Redis Cluster (3 masters) for the tests of cluster mode; setting REDIS_CLUSTER_TEST_NODES makes
# them fail, not skip, when it is not there.
bash tools/infra/redis-cluster.sh up || { echo "local Redis Cluster failed to start"; echo "0 passed, 1 failed"; exit 1; }
export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}" REDIS_URL="redis://127.0.0.1:${REDIS_PORT:-6379}"
REDIS_CLUSTER_TEST_NODES="$(bash tools/infra/redis-cluster.sh nodes)"
export REDIS_CLUSTER_TEST_NODES

rm -rf reports/jest
check_failures=0 # typecheck and lint: not jest, so counted here
jest_step_failures=0
run_step() {
  local kind=$1 name=$2
  shift 2
  echo "::: $name"
  if ! "$@"; then
    echo "::: $name FAILED"
    if [ "$kind" = check ]; then check_failures=$((check_failures + 1)); else jest_step_failures=$((jest_step_failures + 1)); fi
  fi
}

run_step check "typecheck" npx tsc -p tsconfig.json --noEmit
run_step check "formatting (prettier)" npx prettier --check "**/*.{ts,js,mjs,cjs}"
run_step check "lint and module boundaries" npx nx run-many -t lint check-generated --output-style=static
run_step jest "unit tests" npx nx run-many -t test --output-style=stream
run_step jest "integration tests (real Kafka and Redis)" npx nx run-many -t integration --parallel=1 --output-style=stream

echo "::: totals"
node tools/ci/jest-totals.js "$check_failures" "$jest_step_failures"
