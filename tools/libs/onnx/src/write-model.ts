/**
 * Serialises the in-memory graph to an ONNX ModelProto. Field numbers follow onnx.proto
 * (proto2: repeated scalars are written unpacked, which every parser accepts).
 */
import { endianness } from 'node:os';
import { writeFileSync } from 'node:fs';
import { ProtoWriter } from './protobuf';
import { DATA_TYPE, type Attribute, type Initializer, type Model, type Node, type ValueInfo } from './ir';

// AttributeProto.AttributeType codes.
const ATTR_TYPE = { float: 1, int: 2, string: 3, ints: 7 } as const;

/** Encodes a model to ONNX protobuf bytes. */
export function encodeModel(model: Model): Uint8Array {
  if (endianness() !== 'LE') throw new Error('raw_data must be little-endian; big-endian hosts are not supported');
  const graph = new ProtoWriter().string(2, model.graph.name);
  for (const node of model.graph.nodes) graph.message(1, encodeNode(node));
  for (const init of model.graph.initializers) graph.message(5, encodeTensor(init));
  for (const input of model.graph.inputs) graph.message(11, encodeValueInfo(input));
  for (const output of model.graph.outputs) graph.message(12, encodeValueInfo(output));

  const proto = new ProtoWriter()
    .int(1, model.irVersion)
    .string(2, model.producerName)
    .string(3, model.producerVersion);
  if (model.docString) proto.string(6, model.docString);
  proto.message(7, graph);
  proto.message(8, new ProtoWriter().string(1, '').int(2, model.opset));
  // Contrib domains (if a node uses one) need their own opset import.
  const domains = new Set(model.graph.nodes.map((n) => n.domain ?? '').filter((d) => d !== ''));
  for (const domain of domains) proto.message(8, new ProtoWriter().string(1, domain).int(2, 1));
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    proto.message(14, new ProtoWriter().string(1, key).string(2, value));
  }
  return proto.finish();
}

/** Encodes and writes a model file. */
export function writeModel(path: string, model: Model): number {
  const bytes = encodeModel(model);
  writeFileSync(path, bytes);
  return bytes.byteLength;
}

function encodeNode(node: Node): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name).string(4, node.op);
  for (const [name, value] of Object.entries(node.attrs ?? {})) w.message(5, encodeAttribute(name, value));
  if (node.domain) w.string(7, node.domain);
  return w;
}

function encodeAttribute(name: string, a: Attribute): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'ints':
      for (const v of a.value) w.int(8, v);
      break;
  }
  return w.int(20, ATTR_TYPE[a.kind]);
}

function encodeTensor(t: Initializer): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, DATA_TYPE[t.dtype]).string(8, t.name);
  return w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function encodeValueInfo(v: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  }
  const tensorType = new ProtoWriter().int(1, DATA_TYPE[v.dtype]).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}
