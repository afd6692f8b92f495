#!/usr/bin/env bash
# Report kafka and redis (as started by tools/infra/up.sh) as up/down.
# Exit 0 only if both are up. Same env as up.sh (ports, INFRA_STATE_DIR).
#   --redis-cluster: the Redis Cluster of redis-cluster.sh must be ok too; without
#   it, the cluster is reported only when one of its nodes runs.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

parse_infra_args status '' --redis-cluster -- "$@"

rc=0

# Kafka is up when our broker process is alive and its client port accepts TCP.
if pid=$(kafka_pid) && port_open "$KAFKA_PORT"; then
  echo "kafka  up    $HOST:$KAFKA_PORT  pid $pid"
elif pid=$(kafka_pid); then
  echo "kafka  down  $HOST:$KAFKA_PORT  pid $pid running but port not answering (starting? see $KAFKA_LOG)"
  rc=1
else
  echo "kafka  down  $HOST:$KAFKA_PORT"
  rc=1
fi

if pid=$(redis_pid) && redis_ping; then
  echo "redis  up    $HOST:$REDIS_PORT  pid $pid"
elif pid=$(redis_pid); then
  echo "redis  down  $HOST:$REDIS_PORT  pid $pid running but not answering PING"
  rc=1
else
  echo "redis  down  $HOST:$REDIS_PORT"
  rc=1
fi

if ((opt_redis_cluster)); then
  bash "$INFRA_DIR/redis-cluster.sh" status || rc=1
elif redis_cluster_running; then
  bash "$INFRA_DIR/redis-cluster.sh" status || true
fi

exit "$rc"
