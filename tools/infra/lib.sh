# shellcheck shell=bash disable=SC2034 # vars are used by the scripts that source this
# Shared settings and helpers for tools/infra/{up,down,status,redis-cluster}.sh and kafka/fetch.sh.
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
