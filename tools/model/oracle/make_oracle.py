"""One-off: reference sentence embeddings from sentence-transformers (the reference implementation).

Not part of set-up or CI (it needs torch). Run it in a throwaway venv:

    python3 -m venv /tmp/oracle-venv
    /tmp/oracle-venv/bin/pip install torch sentence-transformers
    HF_HUB_OFFLINE=1 /tmp/oracle-venv/bin/python tools/model/oracle/make_oracle.py \
        --checkpoint .cache/models/src/all-minilm-l6-v2 \
        --out tools/model/oracle/all-minilm-l6-v2.oracle.json

Token ids are those sentence-transformers feeds the model (after its own truncation to
max_seq_length), padding stripped; embeddings are the model's final output (pooled and, when the
model has a Normalize module, L2-normalised), rounded to 7 significant digits.
"""

import argparse
import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from sentence_transformers import SentenceTransformer, __version__ as st_version  # noqa: E402

LONG_REVIEW = " ".join(
    [
        "I bought this blender in March after my old one finally gave up, and I have used it almost every day since.",
        "The motor is strong enough for frozen fruit, nuts and even ice, although it gets quite loud at the highest setting.",
        "Cleaning is easy because the blade assembly comes apart, but the rubber seal tends to trap bits of food.",
        "Customer service replaced a cracked lid within a week, which I appreciated, even if the first email got no reply.",
        "Compared with the previous model, the jug feels sturdier and the markings are easier to read.",
    ]
    * 6
)

TEXTS = [
    "Great product, works as advertised.",
    "bad",
    "",
    "The delivery was late!!! Again... why??? :( #fail @support",
    "Loved it 😍🔥👍 would buy again 💯",
    "Order #12345 cost $1,299.99 on 2024-03-15 at 10:45pm (3 items, 2.5kg).",
    "ThIs ReViEw Is WrItTeN iN mIxEd CaSe AND SOME ALL CAPS.",
    "这个产品质量很好，物流也很快。",
    "我喜欢这本书 and the English translation too.",
    "Café au lait, crème brûlée, naïve façade, jalapeño, Ångström, Øresund, Straße.",
    "ÉCOLE ÉLÉMENTAIRE — Ça va très bien, merci!",
    "Contact me at [EMAIL] or visit [URL] — my phone is [PHONE].",
    "See https://example.com/products/item?id=42&ref=abc for details.",
    "Tabs\tand\nnewlines\r\nand   multiple    spaces.",
    "It's not that I don't like it; it's that it doesn't work.",
    "Unbelievably overengineered antidisestablishmentarianism-adjacent gizmo.",
    "Привет, как дела? Всё хорошо.",
    "東京で買ったカメラはとても良いです。",
    "The quick brown fox jumps over the lazy dog.",
    "5/5 ⭐⭐⭐⭐⭐ — would recommend to friends & family.",
    "Battery life: ~8h (advertised 12h). Screen: 6.1\". Weight: 174g.",
    LONG_REVIEW,
    ("word " * 400).strip(),
]


def sig7(x: float) -> float:
    return float(f"{x:.7g}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True, help="unpacked sentence-transformers model directory")
    ap.add_argument("--out", required=True)
    ap.add_argument("--model-name", default="sentence-transformers/all-MiniLM-L6-v2")
    args = ap.parse_args()

    model = SentenceTransformer(args.checkpoint, device="cpu", local_files_only=True)
    features = model.tokenize(TEXTS)
    ids = features["input_ids"].tolist()
    mask = features["attention_mask"].tolist()
    embeddings = model.encode(TEXTS, batch_size=8, convert_to_numpy=True)

    texts = []
    for text, row, m, emb in zip(TEXTS, ids, mask, embeddings):
        texts.append(
            {
                "text": text,
                "tokenIds": [t for t, keep in zip(row, m) if keep],
                "embedding": [sig7(float(v)) for v in emb],
            }
        )
    out = {
        "model": args.model_name,
        "reference": f"sentence-transformers {st_version}",
        "maxSeqLength": model.max_seq_length,
        "texts": texts,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(texts)} texts to {args.out}")


if __name__ == "__main__":
    main()
