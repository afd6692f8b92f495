/**
 * Generates the tiny BERT test model under libs/shared/fixtures/tiny-bert/: seeded random weights
 * (hidden 64, 2 layers, 4 heads, intermediate 128, 128 positions, 2 token types, 1,000-token
 * WordPiece vocab) written as a safetensors checkpoint with a real tokenizer.json, then run through
 * the same converter as real models. Deterministic: re-running reproduces identical files.
 *
 *   npx tsx tools/model/make-tiny-fixture.ts [--out libs/shared/fixtures/tiny-bert] [--seed 20240601]
 *     [--checkpoint-out <dir>]   (also keep the safetensors checkpoint there, e.g. for converter tests)
 *
 * Also writes oracle.json (token ids + fp32 sentence embeddings of a few texts, same format as the
 * parity oracle) so encoder tests can assert exact outputs.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seededRandom } from '@profilestream/embedding';
import type { Oracle } from './oracle-format';
import { convertBert } from './convert-bert';
import { cosine, ReferenceEncoder } from './embed';
import { writeSafetensors, type FloatTensor } from './safetensors';
import { tinyVocab } from './tiny-vocab';

const DIMS = { hidden: 64, layers: 2, heads: 4, intermediate: 128, positions: 128, typeVocab: 2 };
const MAX_FIXTURE_BYTES = 1_000_000;

const SAMPLE_TEXTS = [
  'Great product, works as advertised.',
  'bad',
  '',
  'The delivery was late!!! Again... why???',
  'Café NAÏVE façade',
  '我喜欢这个产品 and the price',
  'Contact me at [EMAIL] — order #12345 cost $99.',
  'unbelievably overengineered gizmo 😍',
];

function makeWeights(seed: number, vocabSize: number): Map<string, FloatTensor> {
  const rand = seededRandom(seed);
  // Box–Muller; 1 - rand() avoids log(0).
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const tensor = (shape: number[], std: number, mean = 0): FloatTensor => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = mean + std * normal();
    return { shape, data };
  };
  const { hidden: H, intermediate: I } = DIMS;
  const w = new Map<string, FloatTensor>();
  const linear = (name: string, out: number, inp: number): void => {
    w.set(`${name}.weight`, tensor([out, inp], 1 / Math.sqrt(inp))); // PyTorch layout [out, in]
    w.set(`${name}.bias`, tensor([out], 0.02));
  };
  const layerNorm = (name: string): void => {
    w.set(`${name}.weight`, tensor([H], 0.1, 1));
    w.set(`${name}.bias`, tensor([H], 0.05));
  };
  w.set('embeddings.word_embeddings.weight', tensor([vocabSize, H], 0.5));
  w.set('embeddings.position_embeddings.weight', tensor([DIMS.positions, H], 0.2));
  w.set('embeddings.token_type_embeddings.weight', tensor([DIMS.typeVocab, H], 0.2));
  layerNorm('embeddings.LayerNorm');
  for (let l = 0; l < DIMS.layers; l++) {
    const p = `encoder.layer.${l}`;
    for (const qkv of ['query', 'key', 'value']) linear(`${p}.attention.self.${qkv}`, H, H);
    linear(`${p}.attention.output.dense`, H, H);
    layerNorm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, I, H);
    linear(`${p}.output.dense`, H, I);
    layerNorm(`${p}.output.LayerNorm`);
  }
  linear('pooler.dense', H, H);
  return w;
}

/** HF tokenizers JSON for an uncased BERT WordPiece tokenizer. */
function tokenizerJson(vocab: string[]): object {
  const id = (t: string): number => vocab.indexOf(t);
  const specials = vocab.filter((t) => /^\[[A-Z]+\]$/.test(t));
  const template = (seq: 'A' | 'B', typeId: number): object[] => [
    { Sequence: { id: seq, type_id: typeId } },
    { SpecialToken: { id: '[SEP]', type_id: typeId } },
  ];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((t) => ({
      id: id(t),
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, ...template('A', 0)],
      pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, ...template('A', 0), ...template('B', 1)],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}

function writeCheckpoint(dir: string, seed: number): void {
  const vocab = tinyVocab();
  const json = (file: string, value: object): void =>
    writeFileSync(join(dir, file), JSON.stringify(value, null, 2) + '\n');
  writeSafetensors(join(dir, 'model.safetensors'), makeWeights(seed, vocab.length), { format: 'pt' });
  json('config.json', {
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: DIMS.hidden,
    num_hidden_layers: DIMS.layers,
    num_attention_heads: DIMS.heads,
    intermediate_size: DIMS.intermediate,
    hidden_act: 'gelu',
    layer_norm_eps: 1e-12,
    max_position_embeddings: DIMS.positions,
    type_vocab_size: DIMS.typeVocab,
    vocab_size: vocab.length,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    initializer_range: 0.02,
  });
  json('tokenizer.json', tokenizerJson(vocab));
  const specials = {
    unk_token: '[UNK]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    cls_token: '[CLS]',
    mask_token: '[MASK]',
  };
  json('tokenizer_config.json', {
    do_lower_case: true,
    ...specials,
    tokenize_chinese_chars: true,
    strip_accents: null,
    tokenizer_class: 'BertTokenizer',
    model_max_length: DIMS.positions,
    clean_up_tokenization_spaces: true,
  });
  json('special_tokens_map.json', specials);
  writeFileSync(
    join(dir, 'LICENSE'),
    [
      'tiny-bert test fixture',
      '',
      'Synthetic model generated by tools/model/make-tiny-fixture.ts from a seeded pseudo-random',
      'number generator. It contains no trained weights and no third-party data; the vocabulary is a',
      'hand-written list of common words. Distributed under the Apache License 2.0, like the rest of',
      'the profilestream repository.',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'README.md'),
    [
      '# tiny-bert (test fixture)',
      '',
      'A BERT-architecture encoder with **random weights** (seed ' + String(seed) + '): hidden 64, 2 layers, 4 heads,',
      'intermediate 128, 128 positions, 1,000-token uncased WordPiece vocabulary. Its embeddings are',
      'meaningless; it exists so encoder tests can run the real ONNX + tokenizer code paths fast.',
      '',
      'Layout matches converted real models: `onnx/model.onnx` (fp32), `onnx/model_quantized.onnx` (int8),',
      'tokenizer files and `profilestream-model.json`. `oracle.json` holds token ids and fp32 sentence',
      'embeddings (mean pooling, L2-normalised) for a few texts.',
      '',
      'Regenerate with `npx tsx tools/model/make-tiny-fixture.ts` (deterministic).',
      '',
    ].join('\n'),
  );
}

function dirSize(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => {
    const p = join(dir, e.name);
    return sum + (e.isDirectory() ? dirSize(p) : statSync(p).size);
  }, 0);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'libs/shared/fixtures/tiny-bert' },
      seed: { type: 'string', default: '20240601' },
      'checkpoint-out': { type: 'string' },
    },
  });
  const out = values.out;
  const seed = Number(values.seed);
  const keep = values['checkpoint-out'];
  const ckpt = keep ?? mkdtempSync(join(tmpdir(), 'tiny-bert-'));
  try {
    mkdirSync(ckpt, { recursive: true });
    writeCheckpoint(ckpt, seed);
    rmSync(out, { recursive: true, force: true });
    await convertBert({ checkpoint: ckpt, out, name: 'tiny-bert', pooling: 'mean', normalize: true });
  } finally {
    if (!keep) rmSync(ckpt, { recursive: true, force: true });
  }

  const fp32 = await ReferenceEncoder.load(out);
  const int8 = await ReferenceEncoder.load(out, { quantized: true });
  const [e32, e8] = [await fp32.embed(SAMPLE_TEXTS), await int8.embed(SAMPLE_TEXTS)];
  const oracle: Oracle = {
    model: 'tiny-bert',
    texts: SAMPLE_TEXTS.map((text, i) => ({
      text,
      tokenIds: fp32.tokenize(text),
      embedding: Array.from(e32[i]!, (v) => Number(v.toPrecision(7))),
    })),
  };
  writeFileSync(join(out, 'oracle.json'), JSON.stringify(oracle) + '\n');
  const worst = Math.min(...SAMPLE_TEXTS.map((_, i) => cosine(e32[i]!, e8[i]!)));
  const unk = oracle.texts.reduce((n, t) => n + t.tokenIds.filter((id) => id === 1).length, 0);
  await Promise.all([fp32.release(), int8.release()]);

  const size = dirSize(out);
  console.log(
    `tiny-bert: ${out} ${(size / 1e6).toFixed(3)} MB; int8 vs fp32 min cosine ${worst.toFixed(5)}; ` +
      `[UNK] in samples: ${unk}`,
  );
  if (size >= MAX_FIXTURE_BYTES) throw new Error(`fixture is ${size} bytes, over the ${MAX_FIXTURE_BYTES} budget`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
