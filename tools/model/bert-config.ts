/**
 * Validated view of a Hugging Face BERT-family config.json: only the fields the graph needs,
 * with explicit errors for variants whose forward pass differs from BERT.
 */

export type HiddenAct = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'gelu_fast';

export interface BertConfig {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  hiddenAct: HiddenAct;
  layerNormEps: number;
  maxPositions: number;
  typeVocabSize: number;
  vocabSize: number;
}

const SUPPORTED_ACTS: readonly string[] = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'];
// Model types whose weights and forward pass match BertModel (same names, absolute positions from 0).
const SUPPORTED_TYPES: readonly string[] = ['bert'];

/** Parses and validates config.json contents. */
export function parseBertConfig(raw: unknown): BertConfig {
  const c = raw as Record<string, unknown>;
  const modelType = typeof c['model_type'] === 'string' ? c['model_type'] : 'bert';
  if (!SUPPORTED_TYPES.includes(modelType)) {
    // RoBERTa-style models offset positions by padding_idx + 1, so they would convert silently wrong.
    throw new Error(`unsupported model_type "${modelType}" (supported: ${SUPPORTED_TYPES.join(', ')})`);
  }
  const posType = c['position_embedding_type'] ?? 'absolute';
  if (posType !== 'absolute') throw new Error(`unsupported position_embedding_type "${String(posType)}"`);
  const act = c['hidden_act'] ?? 'gelu';
  if (typeof act !== 'string' || !SUPPORTED_ACTS.includes(act)) {
    throw new Error(`unsupported hidden_act "${String(act)}" (supported: ${SUPPORTED_ACTS.join(', ')})`);
  }
  const cfg: BertConfig = {
    hiddenSize: int(c, 'hidden_size'),
    numLayers: int(c, 'num_hidden_layers'),
    numHeads: int(c, 'num_attention_heads'),
    intermediateSize: int(c, 'intermediate_size'),
    hiddenAct: act as HiddenAct,
    layerNormEps: typeof c['layer_norm_eps'] === 'number' ? c['layer_norm_eps'] : 1e-12,
    maxPositions: int(c, 'max_position_embeddings'),
    typeVocabSize: typeof c['type_vocab_size'] === 'number' ? c['type_vocab_size'] : 2,
    vocabSize: int(c, 'vocab_size'),
  };
  if (cfg.hiddenSize % cfg.numHeads !== 0) throw new Error('hidden_size must be divisible by num_attention_heads');
  return cfg;
}

function int(c: Record<string, unknown>, key: string): number {
  const v = c[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
    throw new Error(`config.json: ${key} must be a positive integer`);
  return v;
}
