#!/usr/bin/env bash
# A Redis Cluster of 3 masters on 127.0.0.1, started on demand, for what must be tested on a
# cluster (REDIS_CLUSTER_NODES, as the prod and gpu overlays run). In memory only, like the
# single Redis of up.sh, and independent of it.
#
#   redis-cluster.sh up       start the nodes, create the cluster, wait for cluster_state:ok
#   redis-cluster.sh down     stop the nodes (their data and cluster config go with them)
#   redis-cluster.sh status   up/down per node; exit 0 only when the cluster is ok
#   redis-cluster.sh nodes    print the seeds for REDIS_CLUSTER_NODES
#
# Idempotent: `up` reuses a healthy cluster of ours and recreates one that is not (a node that
# restarted has lost its slots' data, so rejoining it would serve a partial keyspace).
# Env: REDIS_CLUSTER_PORT_BASE (7101: masters on 7101-7103, cluster bus on 17101-17103)
#      INFRA_STATE_DIR (.local/infra) REDIS_START_TIMEOUT (30)
# Logs: <state>/redis-cluster/<port>/redis.log
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }

cli() { redis-cli -h "$HOST" -p "$1" "${@:2}" 2>/dev/null; }

# Healthy: every node ours, alive, and agreeing that all slots are served by the 3 masters.
node_ok() {
  local info
  redis_cluster_pid "$1" >/dev/null || return 1
  info=$(cli "$1" cluster info | tr -d '\r') || return 1
  [[ $info == *cluster_state:ok* && $info == *cluster_slots_assigned:16384* &&
    $info == *"cluster_known_nodes:$REDIS_CLUSTER_MASTERS"* && $info == *"cluster_size:$REDIS_CLUSTER_MASTERS"* ]]
}

cluster_ok() {
  local port
  for port in $(redis_cluster_ports); do node_ok "$port" || return 1; done
}

stop_nodes() {
  local port pid
  for port in $(redis_cluster_ports); do
    if pid=$(redis_cluster_pid "$port"); then
      log "stopping redis-cluster node $HOST:$port (pid $pid)"
      stop_pid "redis-cluster node" "$pid"
    fi
    # Without persistence a node's cluster config is all that would survive: drop it too.
    rm -f "$REDIS_CLUSTER_STATE/$port/redis.pid" "$REDIS_CLUSTER_STATE/$port/nodes.conf"
  done
}

start_node() {
  local port=$1 dir="$REDIS_CLUSTER_STATE/$1"
  require_free_port "redis-cluster node" "$port"
  require_free_port "redis-cluster bus" $((port + 10000))
  mkdir -p "$dir"
  rm -f "$dir/redis.log" "$dir/nodes.conf"
  # In memory only (no RDB/AOF), as the single node: test data must not survive a restart.
  redis-server --bind "$HOST" --port "$port" --daemonize yes \
    --pidfile "$dir/redis.pid" --dir "$dir" --logfile "$dir/redis.log" \
    --save '' --appendonly no \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 9>&- ||
    { show_tail "$dir/redis.log"; die "redis-server on $HOST:$port failed to start"; }
}

wait_for() {
  local what=$1 deadline=$((SECONDS + REDIS_START_TIMEOUT)) port
  shift
  until "$@"; do
    if ((SECONDS >= deadline)); then
      for port in $(redis_cluster_ports); do show_tail "$REDIS_CLUSTER_STATE/$port/redis.log"; done
      die "redis cluster: $what not reached after ${REDIS_START_TIMEOUT}s (logs in $REDIS_CLUSTER_STATE)"
    fi
    sleep 0.1
  done
}

all_ping() {
  local port
  for port in $(redis_cluster_ports); do [[ $(cli "$port" ping) == PONG ]] || return 1; done
}

up() {
  local start how=reused port seeds=()
  start=$(now_ms)
  if ! cluster_ok; then
    how=started
    need redis-server redis-server
    need redis-cli redis-tools
    stop_nodes # whatever is left of an earlier cluster of ours
    for port in $(redis_cluster_ports); do
      start_node "$port"
      seeds+=("$HOST:$port")
    done
    wait_for "PING on every node" all_ping
    redis-cli --cluster create "${seeds[@]}" --cluster-replicas 0 --cluster-yes >"$REDIS_CLUSTER_STATE/create.out" 2>&1 ||
      { show_tail "$REDIS_CLUSTER_STATE/create.out"; stop_nodes; die "redis-cli --cluster create failed"; }
    wait_for "cluster_state:ok on every node" cluster_ok
  fi
  printf 'redis-cluster  %s  %d masters  %s in %s (state %s)\n' \
    "$(redis_cluster_nodes)" "$REDIS_CLUSTER_MASTERS" "$how" "$(elapsed_since "$start")" "${REDIS_CLUSTER_STATE#"$REPO_ROOT"/}"
}

down() {
  local any=0
  redis_cluster_running && any=1
  stop_nodes
  if ((any)); then echo "redis-cluster  stopped"; else echo "redis-cluster  not running"; fi
}

status() {
  local port pid rc=0 state
  for port in $(redis_cluster_ports); do
    if pid=$(redis_cluster_pid "$port"); then
      state=$(cli "$port" cluster info | tr -d '\r' | sed -n 's/^cluster_state://p' || true)
      if [[ -n $state ]]; then
        echo "redis-cluster  up    $HOST:$port  pid $pid  cluster_state:$state"
      else
        echo "redis-cluster  down  $HOST:$port  pid $pid running but not answering"
        rc=1
      fi
    else
      echo "redis-cluster  down  $HOST:$port"
      rc=1
    fi
  done
  if ((rc == 0)) && ! cluster_ok; then
    echo "redis-cluster  not ok: nodes run but do not serve every slot together (recreate: redis-cluster.sh up)"
    rc=1
  fi
  return "$rc"
}

case "${1:-}" in
  up)
    lock_state_dir
    up
    ;;
  down)
    lock_state_dir
    down
    ;;
  status) status ;;
  nodes) redis_cluster_nodes ;;
  -h | --help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
