#!/usr/bin/env bash
# `npm start`: set-up, local Kafka and Redis, a build, then the live demo (tools/ops/demo/main.ts).
# Stops the local infrastructure it started when the demo ends, unless --keep-infra, and says
# where its output is.
#
# --help and the demo's argument checks come first, before any set-up: with -h/--help the demo
# prints its usage at once, and otherwise it first runs with --check-args, which only checks the
# arguments (exit 2 on a mistake). Both need the npm dependencies; on a fresh clone (no tsx yet)
# --help says so and the checks wait for the set-up.
set -euo pipefail
cd "$(dirname "$0")/../../.."
for arg in "$@"; do
  case "$arg" in
    -h | --help)
      if [[ -x node_modules/.bin/tsx ]]; then exec node_modules/.bin/tsx tools/ops/demo/main.ts "$@"; fi
      echo "Usage: npm start [-- OPTIONS]"
      echo
      echo "Set-up, local Kafka and Redis, a build, then the live demo of the pipeline (tools/ops/demo/main.ts)."
      echo "Its options (--duration, --rate, --users, --replay, --speedup) are described by the demo itself,"
      echo "which needs the npm dependencies, not installed yet: run \`npm run setup\`, then npm start -- --help."
      echo
      echo "Example: npm start -- --duration 60"
      exit 0
      ;;
  esac
done
# The multilingual model is built only for a command that names it.
setup_args=()
for arg in "$@"; do [[ "$arg" == multilingual || "$arg" == --model=multilingual ]] && setup_args=(--with-multilingual); done
# (built before the argument checks, which look for the model it names)
if [[ "${#setup_args[@]}" -gt 0 ]]; then bash tools/ci/setup.sh "${setup_args[@]}"; fi
if [[ -x node_modules/.bin/tsx ]]; then node_modules/.bin/tsx tools/ops/demo/main.ts "$@" --check-args; fi
if [[ "${#setup_args[@]}" -eq 0 ]]; then bash tools/ci/setup.sh; fi
started_infra=0
bash tools/infra/status.sh >/dev/null 2>&1 || started_infra=1
bash tools/infra/up.sh
keep_infra=0
for arg in "$@"; do [[ "$arg" == --keep-infra ]] && keep_infra=1; done
cleanup() {
  echo "logs: .local/logs/ (text-cleaner.log, encoder.log, profile-fuser.log)"
  if [ "$started_infra" = 1 ] && [ "$keep_infra" = 0 ]; then
    bash tools/infra/down.sh
    echo "stopped the local Kafka and Redis this run started (npm start -- --keep-infra leaves them up)"
  else
    echo "Kafka (127.0.0.1:${KAFKA_PORT:-9092}) and Redis (127.0.0.1:${REDIS_PORT:-6379}) are still up: npm run consume -- --topic profiles.v1 --from-beginning reads the profiles; npm run infra:down stops them"
  fi
}
trap cleanup EXIT
export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}" REDIS_URL="redis://127.0.0.1:${REDIS_PORT:-6379}"
echo "building…"
npm run -s build
npx tsx tools/ops/demo/main.ts "$@"
