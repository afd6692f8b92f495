#!/usr/bin/env bash
# Download the Kafka broker's runtime classpath from Maven Central into
# $INFRA_CACHE_DIR/kafka/$KAFKA_VERSION/libs (no-op when already there).
# Maven's local repo is kept under the cache too, so nothing lands in ~/.m2.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

if [[ -d $KAFKA_LIBS ]]; then
  exit 0
fi
need mvn maven

start=$(now_ms)
parent=$(dirname "$KAFKA_LIBS")
mkdir -p "$parent"
# Fetch into a temp dir beside the target and rename at the end: an interrupted
# or failed fetch never leaves a half-filled libs/ that up.sh would trust.
find "$parent" -maxdepth 1 -name 'libs.tmp.*' -mmin +60 -exec rm -rf {} + # SIGKILLed fetches
tmp=$(mktemp -d "$parent/libs.tmp.XXXXXX")
mvn_pid=''
# On any exit (error, Ctrl-C, SIGTERM from a CI timeout) stop Maven too, or it
# keeps writing into the temp dir after we deleted it.
cleanup() {
  if [[ -n $mvn_pid ]]; then
    kill "$mvn_pid" 2>/dev/null || true
    wait "$mvn_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "fetching Kafka $KAFKA_VERSION jars (Maven Central) into ${KAFKA_LIBS#"$REPO_ROOT"/}"
# Maven's output goes to a log (shown only on failure): Debian's Maven 3.8
# prints stray ANSI codes even with -q -B.
fetch_log="$parent/fetch.log"
# Run in the background and wait, so a signal to this script reaches the trap at once.
mvn -B -ntp -f "$INFRA_DIR/kafka/pom.xml" \
  -Dmaven.repo.local="$INFRA_CACHE_DIR/m2" \
  -Dkafka.version="$KAFKA_VERSION" \
  -Dlog4j.version="$KAFKA_LOG4J_VERSION" \
  dependency:copy-dependencies -DoutputDirectory="$tmp" >"$fetch_log" 2>&1 &
mvn_pid=$!
if ! wait "$mvn_pid"; then
  mvn_pid=''
  tail -n 40 "$fetch_log" >&2
  die "Maven could not fetch Kafka $KAFKA_VERSION (full output: $fetch_log)"
fi
mvn_pid=''

[[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar ]] || die "fetch finished but kafka_2.13-$KAFKA_VERSION.jar is missing"

# mv -T refuses to move into an existing dir, so a concurrent fetch that won
# the race is kept and ours is discarded by the trap.
if mv -T "$tmp" "$KAFKA_LIBS" 2>/dev/null; then
  log "fetched $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $(elapsed_since "$start")"
elif [[ ! -d $KAFKA_LIBS ]]; then
  die "could not move $tmp to $KAFKA_LIBS"
fi
