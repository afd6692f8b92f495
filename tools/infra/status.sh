#!/usr/bin/env bash
# Report kafka and redis (as started by tools/infra/up.sh) as up/down.
# Exit 0 only if both are up. Same env as up.sh (ports, INFRA_STATE_DIR).
#   --redis-cluster: the Redis Cluster of redis-cluster.sh must be ok too; without
#   it, the cluster is reported only when one of its nodes runs.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --help (or -h) answers before anything is done; an unknown argument is an error even next to it.
usage() {
  echo "Usage: npm run infra:status [-- --redis-cluster]"
  echo "       (or bash tools/infra/status.sh with the same options)"
  echo
  sed -n '2,5p' "$0" | cut -c3-
  echo
  echo "Example: npm run infra:status"
}
usage_error() {
  printf 'error: %s (see npm run infra:status -- --help)\n' "$1" >&2
  exit 2
}

cluster=0
help=0
for arg in "$@"; do
  case "$arg" in
    --redis-cluster) cluster=1 ;;
    -h | --help) help=1 ;;
    *) usage_error "unknown argument: $arg" ;;
  esac
done
if ((help)); then
  usage
  exit 0
fi

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

if ((cluster)); then
  bash "$INFRA_DIR/redis-cluster.sh" status || rc=1
else
  for port in $(redis_cluster_ports); do
    if redis_cluster_pid "$port" >/dev/null; then
      bash "$INFRA_DIR/redis-cluster.sh" status || true
      break
    fi
  done
fi

exit "$rc"
