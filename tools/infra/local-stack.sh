# shellcheck shell=bash
# The start shared by the commands that run on the whole pipeline on this machine (npm start,
# npm run bench, npm run eval): --help, argument checks, set-up, then local Kafka and Redis.
# Sourced from the repository root, not executed.
#
# The command's --help and its argument checks come before the set-up: with -h/--help the command
# runs at once (it prints its usage and stops), and otherwise it first runs with --check-args, which
# only checks its arguments (exit 2 on a mistake), so a typo answers in seconds, not after the
# set-up. Both need the npm dependencies; on a fresh clone (no tsx yet) --help prints the caller's
# own text instead and the checks wait for the set-up.

# answer_help FALLBACK COMMAND...: when COMMAND's arguments ask for -h/--help, lets COMMAND print its
# usage, or without the npm dependencies calls the function FALLBACK; exits either way. Returns
# when no help was asked for.
answer_help() {
  local fallback=$1 arg
  shift
  for arg in "$@"; do
    if [[ $arg == -h || $arg == --help ]]; then
      if [[ -x node_modules/.bin/tsx ]]; then exec "$@"; fi
      "$fallback"
      exit 0
    fi
  done
}

# start_local_stack COMMAND...: set-up (with the multilingual model when COMMAND names it), COMMAND
# --check-args, then local Kafka and Redis, with KAFKA_BROKERS and REDIS_URL exported for them.
# Sets LOCAL_STACK_STARTED_INFRA to 1 when Kafka and Redis were not running before, so that the
# caller stops only what it started.
start_local_stack() {
  local arg setup_args=()
  for arg in "$@"; do
    [[ $arg == multilingual || $arg == --model=multilingual ]] && setup_args=(--with-multilingual)
  done
  # The multilingual model is built before the argument checks, which look for the model named.
  if ((${#setup_args[@]})); then bash tools/ci/setup.sh "${setup_args[@]}"; fi
  if [[ -x node_modules/.bin/tsx ]]; then "$@" --check-args; fi
  if ((${#setup_args[@]} == 0)); then bash tools/ci/setup.sh; fi
  LOCAL_STACK_STARTED_INFRA=0
  bash tools/infra/status.sh >/dev/null 2>&1 || LOCAL_STACK_STARTED_INFRA=1
  bash tools/infra/up.sh
  export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}" REDIS_URL="redis://127.0.0.1:${REDIS_PORT:-6379}"
}
