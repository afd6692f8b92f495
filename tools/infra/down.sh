#!/usr/bin/env bash
# Stop kafka and redis started by tools/infra/up.sh (SIGTERM, up to 30 s, then
# SIGKILL). Idempotent: stopping what is not running is fine.
#   --wipe (or INFRA_WIPE=1): also delete Kafka's data and cluster id, so the
#   next up.sh starts an empty cluster. Logs are kept for debugging.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

wipe="${INFRA_WIPE:-0}"
for arg in "$@"; do
  case "$arg" in
    --wipe) wipe=1 ;;
    -h | --help)
      sed -n '2,6p' "$0"
      exit 0
      ;;
    *) die "unknown argument: $arg (usage: down.sh [--wipe])" ;;
  esac
done

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
