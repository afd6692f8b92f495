#!/usr/bin/env bash
# Runs a command against the whole pipeline on this machine: set-up, local Kafka and Redis, a
# fresh build of the services, then the command with KAFKA_BROKERS and REDIS_URL pointing there;
# Kafka and Redis it had to start are stopped when the command ends.
# Used by `npm run bench` and `npm run eval`.
#
# The command's --help and its argument checks come before any of that: with -h/--help the command
# runs at once (it prints its usage and stops), and otherwise it first runs with --check-args, which
# only checks its arguments (exit 2 on a mistake), so a typo answers in seconds, not after the set-up.
# Both need the npm dependencies; on a fresh clone (no tsx yet) --help says so and the checks wait.
set -euo pipefail
cd "$(dirname "$0")/../.."
for arg in "$@"; do
  case "$arg" in
    -h | --help)
      if [[ -x node_modules/.bin/tsx ]]; then exec "$@"; fi
      echo "Usage: bash tools/bench/with-local-stack.sh COMMAND [ARGUMENTS…]   (npm run bench, npm run eval)"
      echo
      echo "Runs COMMAND after set-up, local Kafka and Redis and a build, with KAFKA_BROKERS and REDIS_URL"
      echo "pointing there. COMMAND's own usage needs the npm dependencies, not installed yet: run"
      echo "\`npm run setup\`, then ask again."
      echo
      echo "Example: npm run bench -- --help"
      exit 0
      ;;
  esac
done
# The multilingual model is built only for a command that names it.
setup_args=()
for arg in "$@"; do [[ "$arg" == multilingual || "$arg" == --model=multilingual ]] && setup_args=(--with-multilingual); done
# (built before the argument checks, which look for the model it names)
if [[ "${#setup_args[@]}" -gt 0 ]]; then bash tools/ci/setup.sh "${setup_args[@]}"; fi
if [[ -x node_modules/.bin/tsx ]]; then "$@" --check-args; fi
if [[ "${#setup_args[@]}" -eq 0 ]]; then bash tools/ci/setup.sh; fi
# Kafka and Redis this command starts, it stops when it ends (ones already running stay up).
started_infra=0
bash tools/infra/status.sh >/dev/null 2>&1 || started_infra=1
bash tools/infra/up.sh
cleanup() { if [ "$started_infra" = 1 ]; then echo "stopping the local Kafka and Redis this command started"; bash tools/infra/down.sh; fi; }
trap cleanup EXIT
export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}" REDIS_URL="redis://127.0.0.1:${REDIS_PORT:-6379}"
npm run -s build
"$@"
