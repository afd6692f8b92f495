import { Tokenizer } from '@huggingface/tokenizers';
import type { ModelBundle } from './model-bundle';

export interface TokenizedText {
  ids: number[];
  /** The text had more tokens than the model takes and was cut. */
  truncated: boolean;
}

/**
 * The model's own tokenizer (tokenizer.json: WordPiece for BERT, Unigram/SentencePiece for XLM-R
 * exports), with truncation to the model's maximum that keeps the closing special token.
 */
export class TextTokenizer {
  private readonly tokenizer: Tokenizer;

  constructor(private readonly bundle: Pick<ModelBundle, 'tokenizerJson' | 'tokenizerConfig' | 'manifest'>) {
    this.tokenizer = new Tokenizer(bundle.tokenizerJson, bundle.tokenizerConfig);
  }

  encode(text: string): TokenizedText {
    const ids = this.tokenizer.encode(this.bundle.manifest.prefix + text).ids;
    const max = this.bundle.manifest.maxTokens;
    if (ids.length <= max) return { ids, truncated: false };
    // [CLS] a b c … [SEP] → the first max-1 ids and the final [SEP] (what HF truncation produces).
    return { ids: [...ids.slice(0, max - 1), ids[ids.length - 1]!], truncated: true };
  }
}
