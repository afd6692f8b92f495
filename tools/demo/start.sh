#!/usr/bin/env bash
# `npm start`: set-up, local Kafka and Redis, a build, then the live demo (tools/demo/main.ts).
# Stops the local infrastructure it started when the demo ends.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/setup.sh
started_infra=0
bash tools/infra/status.sh >/dev/null 2>&1 || started_infra=1
bash tools/infra/up.sh
cleanup() { if [ "$started_infra" = 1 ]; then bash tools/infra/down.sh; fi; }
trap cleanup EXIT
export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}" REDIS_URL="redis://127.0.0.1:${REDIS_PORT:-6379}"
echo "building…"
npm run -s build
npx tsx tools/demo/main.ts "$@"
