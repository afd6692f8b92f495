#!/usr/bin/env bash
# Runs a command against the whole pipeline on this machine: set-up, local Kafka and Redis, a
# fresh build of the services, then the command with KAFKA_BROKERS and REDIS_URL pointing there.
# Used by `npm run bench` and `npm run eval`.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/setup.sh
bash tools/infra/up.sh
export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}" REDIS_URL="redis://127.0.0.1:${REDIS_PORT:-6379}"
npm run -s build
exec "$@"
