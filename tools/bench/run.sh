#!/usr/bin/env bash
# `npm run bench`: set-up, local Kafka and Redis, a fresh build, then the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/setup.sh
bash tools/infra/up.sh
export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}" REDIS_URL="redis://127.0.0.1:${REDIS_PORT:-6379}"
npm run -s build
exec npx tsx tools/bench/main.ts "$@"
