#!/usr/bin/env bash
# Stop kafka and redis started by tools/infra/up.sh (SIGTERM, up to 30 s, then
# SIGKILL). Idempotent: stopping what is not running is fine.
#   --wipe (or INFRA_WIPE=1): also delete Kafka's data and cluster id, so the
#   next up.sh starts an empty cluster. Logs are kept for debugging.
#   --redis-cluster: also stop the Redis Cluster of redis-cluster.sh.
#   --kafka-cluster: also stop the three-node Kafka cluster of kafka-cluster.sh.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --help (or -h) answers before anything is done; an unknown argument is an error even next to it.
usage() {
  echo "Usage: npm run infra:down [-- --wipe] [--redis-cluster] [--kafka-cluster]"
  echo "       (or bash tools/infra/down.sh with the same options)"
  echo
  sed -n '2,7p' "$0" | cut -c3-
  echo
  echo "Example: npm run infra:down -- --wipe"
}
usage_error() {
  printf 'error: %s (see npm run infra:down -- --help)\n' "$1" >&2
  exit 2
}

wipe="${INFRA_WIPE:-0}"
cluster=0
kafka_cluster=0
help=0
for arg in "$@"; do
  case "$arg" in
    --wipe) wipe=1 ;;
    --redis-cluster) cluster=1 ;;
    --kafka-cluster) kafka_cluster=1 ;;
    -h | --help) help=1 ;;
    *) usage_error "unknown argument: $arg" ;;
  esac
done
if ((help)); then
  usage
  exit 0
fi

stop() {
  local name=$1 pidfile=$2 pid
  if pid=$($3); then
    log "stopping $name (pid $pid)"
    stop_pid "$name" "$pid"
    echo "$name  stopped (pid $pid)"
  else
    echo "$name  not running"
  fi
  rm -f "$pidfile"
}

lock_state_dir
# Kafka first: it does a controlled shutdown and may still be flushing.
stop kafka "$KAFKA_PIDFILE" kafka_pid
stop redis "$REDIS_PIDFILE" redis_pid

if [[ $wipe == 1 ]]; then
  rm -rf "$KAFKA_STATE/data" "$KAFKA_STATE/cluster.id" "$KAFKA_STATE/server.properties"
  echo "kafka  data wiped ($KAFKA_STATE/data)"
fi

# Only on request: the test command stops the cluster only when it started it.
if [[ $cluster == 1 ]]; then
  exec 9>&- # the cluster script takes the same lock
  bash "$INFRA_DIR/redis-cluster.sh" down
else
  for port in $(redis_cluster_ports); do
    if redis_cluster_pid "$port" >/dev/null; then
      echo "redis-cluster  still running (stop it with --redis-cluster)"
      break
    fi
  done
fi
if [[ $kafka_cluster == 1 ]]; then
  exec 9>&- # the cluster script takes the same lock
  if [[ $wipe == 1 ]]; then bash "$INFRA_DIR/kafka-cluster.sh" down --wipe; else bash "$INFRA_DIR/kafka-cluster.sh" down; fi
fi
