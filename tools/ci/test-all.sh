#!/usr/bin/env bash
# The whole test suite, as the README's test command and CI run it: set-up, local Kafka, Redis and
# a Redis Cluster, type checks, lint and module boundaries, unit tests, then integration tests on
# the real broker and Redis. Stops only the infrastructure it started. Ends with `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/../.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true FORCE_COLOR=0

bash tools/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

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
run_step check "lint and module boundaries" npx nx run-many -t lint check-generated --output-style=static
run_step jest "unit tests" npx nx run-many -t test --output-style=stream
run_step jest "integration tests (real Kafka and Redis)" npx nx run-many -t integration --parallel=1 --output-style=stream

echo "::: totals"
node tools/ci/jest-totals.js "$check_failures" "$jest_step_failures"
