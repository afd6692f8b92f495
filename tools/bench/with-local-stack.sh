#!/usr/bin/env bash
# Runs a command against the whole pipeline on this machine: set-up, local Kafka and Redis, a
# fresh build of the services, then the command with KAFKA_BROKERS and REDIS_URL pointing there;
# Kafka and Redis it had to start are stopped when the command ends.
# Used by `npm run bench` and `npm run eval`.
#
# The command's --help and its argument checks come before any of that (tools/infra/local-stack.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=../infra/local-stack.sh
source tools/infra/local-stack.sh

usage_without_dependencies() {
  echo "Usage: bash tools/bench/with-local-stack.sh COMMAND [ARGUMENTS…]   (npm run bench, npm run eval)"
  echo
  echo "Runs COMMAND after set-up, local Kafka and Redis and a build, with KAFKA_BROKERS and REDIS_URL"
  echo "pointing there. COMMAND's own usage needs the npm dependencies, not installed yet: run"
  echo "\`npm run setup\`, then ask again."
  echo
  echo "Example: npm run bench -- --help"
}
answer_help usage_without_dependencies "$@"
start_local_stack "$@"
# Kafka and Redis this command started, it stops when it ends (ones already running stay up).
cleanup() {
  if ((LOCAL_STACK_STARTED_INFRA)); then
    echo "stopping the local Kafka and Redis this command started"
    bash tools/infra/down.sh
  fi
}
trap cleanup EXIT
npm run -s build
"$@"
