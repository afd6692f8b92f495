# shellcheck shell=bash disable=SC2034 # vars are used by the scripts that source this
# Shared settings and helpers for tools/infra/{up,down,status,redis-cluster,kafka-cluster}.sh and
# kafka/fetch.sh.
# Sourced, not executed. Every path derives from this file's location, so the
# repo can live anywhere; everything the stack writes stays under
# INFRA_STATE_DIR (runtime) and INFRA_CACHE_DIR (downloads), both git-ignored.

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$INFRA_DIR/../.." && pwd)"

# Relative overrides are taken relative to the repo root, not the caller's cwd,
# so `INFRA_STATE_DIR=.local/x tools/infra/up.sh` means the same from anywhere.
abs_path() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$REPO_ROOT/$1" ;;
  esac
}

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
# The log4j2 version Kafka itself uses (kafka-server's POM declares log4j-api/core
# from 4.1 on); the SLF4J binding we add must match it. Check when bumping.
case "$KAFKA_VERSION" in
  4.0.* | 4.1.*) _log4j=2.24.3 ;;
  *) _log4j=2.25.3 ;; # 4.2.0
esac
KAFKA_LOG4J_VERSION="${KAFKA_LOG4J_VERSION:-$_log4j}"
unset _log4j
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
REDIS_PORT="${REDIS_PORT:-6379}"
REDIS_START_TIMEOUT="${REDIS_START_TIMEOUT:-30}"
# The on-demand Redis Cluster (redis-cluster.sh): masters on BASE, BASE+1, BASE+2, each with its
# cluster bus on port + 10000.
REDIS_CLUSTER_PORT_BASE="${REDIS_CLUSTER_PORT_BASE:-7101}"
REDIS_CLUSTER_MASTERS=3
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"
INFRA_STATE_DIR="$(abs_path "${INFRA_STATE_DIR:-.local/infra}")"
INFRA_CACHE_DIR="$(abs_path "${INFRA_CACHE_DIR:-.cache}")"

HOST=127.0.0.1
KAFKA_LIBS="$INFRA_CACHE_DIR/kafka/$KAFKA_VERSION/libs"
KAFKA_STATE="$INFRA_STATE_DIR/kafka"
KAFKA_PIDFILE="$KAFKA_STATE/kafka.pid"
KAFKA_LOG="$KAFKA_STATE/logs/server.log"
KAFKA_OUT="$KAFKA_STATE/logs/kafka.out"
REDIS_STATE="$INFRA_STATE_DIR/redis"
REDIS_PIDFILE="$REDIS_STATE/redis.pid"
REDIS_LOG="$REDIS_STATE/redis.log"
REDIS_CLUSTER_STATE="$INFRA_STATE_DIR/redis-cluster"

log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

# Milliseconds since the epoch, from bash's own clock (no date fork per poll).
now_ms() {
  local t=${EPOCHREALTIME/[.,]/}
  echo $((t / 1000))
}

# "12.3s" from a start timestamp taken with now_ms.
elapsed_since() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100))
}

# True if something accepts TCP connections on 127.0.0.1:$1 (bash /dev/tcp, no nc needed).
port_open() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# Print the pid from pid file $1 if that process is alive and its command line
# contains $2 (guards against a stale pid file whose pid was reused).
live_pid() {
  local pidfile=$1 pattern=$2 pid cmd
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"$pattern"* ]] || return 1
  echo "$pid"
}

kafka_pid() { live_pid "$KAFKA_PIDFILE" kafka.Kafka; }
redis_pid() { live_pid "$REDIS_PIDFILE" redis-server; }

redis_ping() {
  [[ $(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
}

# Ports of the cluster's masters, one a line.
redis_cluster_ports() {
  local i
  for ((i = 0; i < REDIS_CLUSTER_MASTERS; i++)); do echo $((REDIS_CLUSTER_PORT_BASE + i)); done
}

# The cluster's seeds as REDIS_CLUSTER_NODES takes them: host:port,host:port,...
redis_cluster_nodes() {
  local port out=()
  for port in $(redis_cluster_ports); do out+=("$HOST:$port"); done
  local IFS=,
  echo "${out[*]}"
}

# A cluster node of ours on port $1: its title names its address, so a reused pid does not pass.
redis_cluster_pid() { live_pid "$REDIS_CLUSTER_STATE/$1/redis.pid" "$HOST:$1"; }

# True when any node of the Redis Cluster runs.
redis_cluster_running() {
  local port
  for port in $(redis_cluster_ports); do redis_cluster_pid "$port" >/dev/null && return 0; done
  return 1
}

# Install Debian packages for commands that are missing (fresh CI machines).
# A policy-rc.d is put in place for the install when there is none, so the
# package's init script does not start a system-wide redis on port 6379.
apt_install() {
  local sudo=() own_policy=0
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "need root or sudo to apt-get install $*"
    sudo=(sudo)
  fi
  log "installing $* (apt-get)"
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo[@]}" chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  local rc=0
  { "${sudo[@]}" apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@"; } >&2 || rc=$?
  if ((own_policy)); then "${sudo[@]}" rm -f /usr/sbin/policy-rc.d; fi
  ((rc == 0)) || die "apt-get install $* failed"
}

# Ensure command $1 exists, installing Debian package $2 if not.
need() {
  command -v "$1" >/dev/null || apt_install "$2"
  command -v "$1" >/dev/null || die "$1 still missing after installing $2"
}

# Kafka 4.x brokers require Java 17+.
need_java17() {
  need java openjdk-17-jre-headless
  local v
  v=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')
  if ! [[ ${v%%.*} =~ ^[0-9]+$ ]] || ((${v%%.*} < 17)); then
    die "Kafka $KAFKA_VERSION needs Java 17+, found '${v:-unknown}'"
  fi
}

# Send SIGTERM to pid $2 (name $1), wait up to STOP_TIMEOUT s, then SIGKILL.
stop_pid() {
  local name=$1 pid=$2 deadline
  kill -TERM "$pid" 2>/dev/null || return 0
  deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
      break
    fi
    sleep 0.2
  done
}

# Print why a service failed: the tail of each of its log files. A dying broker
# logs a page of shutdown noise after the real cause, so first list its ERROR/
# FATAL lines with the exception message under each (and any "Caused by:").
show_tail() {
  local f errors
  for f in "$@"; do
    [[ -s $f ]] || continue
    errors=$(awk '
      /^\[[^]]*\] (ERROR|FATAL) / { print; want = 1; next }
      want && !/^\[/ && !/^[[:space:]]+at / { print }
      /^Caused by: / && !want { print }
      { want = 0 }' "$f" | head -n 30)
    if [[ -n $errors ]]; then
      printf -- '----- errors in %s -----\n%s\n' "$f" "$errors" >&2
    fi
    printf -- '----- last 40 lines of %s -----\n' "$f" >&2
    tail -n 40 "$f" >&2
  done
  printf -- '-----\n' >&2
}

# Fail early, with a clear reason, when a port is taken by something that is not ours.
require_free_port() {
  local name=$1 port=$2 who=''
  port_open "$port" || return 0
  if command -v ss >/dev/null; then
    who=$(ss -Htlnp "sport = :$port" 2>/dev/null | grep -o 'users:.*' | head -n1 || true)
  fi
  die "$name cannot start: 127.0.0.1:$port is already in use${who:+ by $who}"
}

# Serialise up.sh/down.sh runs on one state dir (e.g. parallel test targets each
# calling up.sh): the second waits, then reuses what the first started.
# Services launched while holding it must get `9>&-`, or they keep it locked.
lock_state_dir() {
  mkdir -p "$INFRA_STATE_DIR"
  exec 9>"$INFRA_STATE_DIR/infra.lock"
  command -v flock >/dev/null || return 0
  flock -w 120 9 || log "warning: $INFRA_STATE_DIR/infra.lock still held after 120s; going on without it"
}

# 16 random bytes, URL-safe base64 without padding: Kafka's Uuid format.
# Kafka itself never issues ids starting with '-', which CLIs mistake for flags.
new_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [[ $id == -* ]] || break
  done
  echo "$id"
}

# Runs another script of this folder that takes the state-dir lock itself: ours is released first,
# or the two would wait on each other.
run_locking_script() {
  exec 9>&-
  bash "$INFRA_DIR/$1" "${@:2}"
}

# Command line of an `npm run infra:<name>` script:
#   parse_infra_args NAME EXAMPLE_OPTIONS FLAG... -- "$@"
# Each FLAG given sets opt_<flag> (without the dashes, others as underscores) to 1, else 0. --help
# (or -h) prints the script's header comment and exits before anything is done; an unknown argument
# is an error even next to --help.
parse_infra_args() {
  local name=$1 example=$2 flag arg help=0 synopsis='' separator='-- ' allowed=()
  shift 2
  while (($#)) && [[ $1 != -- ]]; do
    allowed+=("$1")
    printf -v "opt_$(infra_flag_name "$1")" 0
    synopsis+=" [$separator$1]"
    separator=''
    shift
  done
  shift
  for arg in "$@"; do
    case "$arg" in
      -h | --help) help=1 ;;
      *)
        for flag in "${allowed[@]}"; do [[ $arg == "$flag" ]] && continue 2; done
        printf 'error: unknown argument: %s (see npm run infra:%s -- --help)\n' "$arg" "$name" >&2
        exit 2
        ;;
    esac
  done
  if ((help)); then
    echo "Usage: npm run infra:$name$synopsis"
    echo "       (or bash tools/infra/$name.sh with the same options)"
    echo
    awk 'NR > 1 { if (!/^#/) exit; print }' "$0" | cut -c3-
    echo
    echo "Example: npm run infra:$name${example:+ $example}"
    exit 0
  fi
  for arg in "$@"; do printf -v "opt_$(infra_flag_name "$arg")" 1; done
}

# --redis-cluster -> redis_cluster
infra_flag_name() {
  local name=${1#--}
  echo "${name//-/_}"
}

# Settings every KRaft node of ours shares, as server.properties lines: a combined broker and
# controller with a PLAINTEXT client listener.
#   kafka_node_properties NODE_ID VOTERS CLIENT_PORT CONTROLLER_PORT DATA_DIR
kafka_node_properties() {
  cat <<EOF
process.roles=broker,controller
node.id=$1
controller.quorum.voters=$2
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://$HOST:$3,CONTROLLER://$HOST:$4
advertised.listeners=PLAINTEXT://$HOST:$3
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$5
EOF
}

# Topic settings of every broker of ours, the test brokers of @profilestream/kafka/testing included:
# internal topics sized for the cluster, quick group joins, and no topic made by a typo (our code
# provisions topics explicitly).
#   kafka_topic_properties REPLICATION_FACTOR MIN_ISR INTERNAL_TOPIC_PARTITIONS
kafka_topic_properties() {
  cat <<EOF
num.partitions=1
default.replication.factor=$1
offsets.topic.num.partitions=$3
offsets.topic.replication.factor=$1
transaction.state.log.num.partitions=$3
transaction.state.log.replication.factor=$1
transaction.state.log.min.isr=$2
share.coordinator.state.topic.replication.factor=$1
share.coordinator.state.topic.min.isr=$2
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
EOF
}

# Formats the storage of the node configured in NODE_DIR/server.properties with the cluster id in
# CLUSTER_ID_FILE; --ignore-formatted makes later starts a no-op. Its output goes to
# NODE_DIR/logs/format.out (no log4j config: errors print to stderr).
#   format_kafka_storage NODE_DIR CLUSTER_ID_FILE FAILURE_MESSAGE
format_kafka_storage() {
  local dir=$1
  if ! java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
    -t "$(<"$2")" -c "$dir/server.properties" \
    --ignore-formatted >"$dir/logs/format.out" 2>&1; then
    show_tail "$dir/logs/format.out"
    die "$3"
  fi
}

# Starts the broker configured in NODE_DIR/server.properties in the background and prints its pid.
# Logs go to NODE_DIR/logs (the previous run's kept as *.prev), the pid to NODE_DIR/kafka.pid.
#   launch_kafka NODE_DIR HEAP_OPTS
launch_kafka() {
  local dir=$1 heap
  [[ -f $dir/logs/server.log ]] && mv -f "$dir/logs/server.log" "$dir/logs/server.log.prev"
  [[ -f $dir/logs/kafka.out ]] && mv -f "$dir/logs/kafka.out" "$dir/logs/kafka.out.prev"
  read -r -a heap <<<"$2"
  # setsid: own session, so the broker outlives this script and a Ctrl-C in the caller's terminal.
  # The wrapper writes its own pid, then execs java (same pid, also $!).
  # shellcheck disable=SC2016 # $$ and $@ are for the inner bash
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$dir/kafka.pid" \
    java "${heap[@]}" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dkafka.logs.dir="$dir/logs" \
    -Dlog4j2.configurationFile="$INFRA_DIR/kafka/log4j2.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties" \
    </dev/null >"$dir/logs/kafka.out" 2>&1 9>&- &
  echo $!
}

# Ready = the broker in NODE_DIR logged "Kafka Server started" (KafkaRaftServer, after the
# controller and broker have both come up) and its client port accepts TCP. Cheaper than polling
# with a Kafka CLI, which costs a JVM start per try.
#   kafka_started NODE_DIR CLIENT_PORT
kafka_started() {
  grep -q 'Kafka Server started' "$1/logs/server.log" 2>/dev/null && port_open "$2"
}
