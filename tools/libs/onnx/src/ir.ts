/**
 * In-memory graph representation the converter and quantizer work on. It mirrors the
 * subset of onnx.proto we emit, so transformations stay plain TypeScript data edits.
 */

/** Element types we emit, with their onnx.proto TensorProto.DataType codes. */
export const DATA_TYPE = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
} as const;

export type DType = keyof typeof DATA_TYPE;

export type TensorData = Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

/** A constant tensor stored in the graph (raw_data, little-endian). */
export interface Initializer {
  name: string;
  dtype: DType;
  dims: number[];
  data: TensorData;
}

export type Attribute =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'string'; value: string };

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  domain?: string;
  attrs?: Record<string, Attribute>;
}

/** A graph input/output: dimensions are numbers (fixed) or strings (named dynamic axes). */
export interface ValueInfo {
  name: string;
  dtype: DType;
  shape: Array<number | string>;
}

export interface Graph {
  name: string;
  nodes: Node[];
  initializers: Initializer[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface Model {
  graph: Graph;
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  metadata?: Record<string, string>;
}

/** Attribute constructors, so call sites read `attr.int(1)` rather than tagged literals. */
export const attr = {
  int: (value: number): Attribute => ({ kind: 'int', value }),
  float: (value: number): Attribute => ({ kind: 'float', value }),
  ints: (value: number[]): Attribute => ({ kind: 'ints', value }),
  string: (value: string): Attribute => ({ kind: 'string', value }),
};
