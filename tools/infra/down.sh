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

parse_infra_args down '-- --wipe' --wipe --redis-cluster --kafka-cluster -- "$@"
((opt_wipe)) || opt_wipe="${INFRA_WIPE:-0}"

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

if [[ $opt_wipe == 1 ]]; then
  rm -rf "$KAFKA_STATE/data" "$KAFKA_STATE/cluster.id" "$KAFKA_STATE/server.properties"
  echo "kafka  data wiped ($KAFKA_STATE/data)"
fi

# Only on request: the test command stops the cluster only when it started it.
if ((opt_redis_cluster)); then
  run_locking_script redis-cluster.sh down
elif redis_cluster_running; then
  echo "redis-cluster  still running (stop it with --redis-cluster)"
fi
if ((opt_kafka_cluster)); then
  if [[ $opt_wipe == 1 ]]; then run_locking_script kafka-cluster.sh down --wipe; else run_locking_script kafka-cluster.sh down; fi
fi
