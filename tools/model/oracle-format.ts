/**
 * Oracle JSON format shared by the Python reference script, the parity check and the tiny
 * fixture: token ids (special tokens included, after truncation) and the final sentence embedding.
 */

export interface OracleText {
  text: string;
  tokenIds: number[];
  embedding: number[];
}

export interface Oracle {
  model: string;
  texts: OracleText[];
}
