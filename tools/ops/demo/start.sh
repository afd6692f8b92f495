#!/usr/bin/env bash
# `npm start`: set-up, local Kafka and Redis, a build, then the live demo (tools/ops/demo/main.ts).
# Stops the local infrastructure it started when the demo ends, unless --keep-infra, and says
# where its output is.
#
# --help and the demo's argument checks come first, before any set-up (tools/infra/local-stack.sh).
set -euo pipefail
cd "$(dirname "$0")/../../.."
# shellcheck source=../../infra/local-stack.sh
source tools/infra/local-stack.sh

demo=(node_modules/.bin/tsx tools/ops/demo/main.ts)
usage_without_dependencies() {
  echo "Usage: npm start [-- OPTIONS]"
  echo
  echo "Set-up, local Kafka and Redis, a build, then the live demo of the pipeline (tools/ops/demo/main.ts)."
  echo "Its options (--duration, --rate, --users, --replay, --speedup) are described by the demo itself,"
  echo "which needs the npm dependencies, not installed yet: run \`npm run setup\`, then npm start -- --help."
  echo
  echo "Example: npm start -- --duration 60"
}
answer_help usage_without_dependencies "${demo[@]}" "$@"
start_local_stack "${demo[@]}" "$@"
keep_infra=0
for arg in "$@"; do [[ "$arg" == --keep-infra ]] && keep_infra=1; done
cleanup() {
  echo "logs: .local/logs/ (text-cleaner.log, encoder.log, profile-fuser.log)"
  if ((LOCAL_STACK_STARTED_INFRA)) && [ "$keep_infra" = 0 ]; then
    bash tools/infra/down.sh
    echo "stopped the local Kafka and Redis this run started (npm start -- --keep-infra leaves them up)"
  else
    echo "Kafka (127.0.0.1:${KAFKA_PORT:-9092}) and Redis (127.0.0.1:${REDIS_PORT:-6379}) are still up: npm run consume -- --topic profiles.v1 --from-beginning reads the profiles; npm run infra:down stops them"
  fi
}
trap cleanup EXIT
echo "building…"
npm run -s build
"${demo[@]}" "$@"
