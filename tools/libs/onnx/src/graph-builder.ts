/**
 * Small helper for assembling graphs: unique tensor names, initializers and
 * single-output nodes in one call, so graph code reads like the forward pass.
 */
import type { Attribute, DType, Graph, Initializer, Node, TensorData, ValueInfo } from './ir';

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Initializer[] = [];
  private readonly used = new Set<string>();
  private counter = 0;
  private readonly scalars = new Map<number, string>();

  constructor(
    readonly name: string,
    readonly inputs: ValueInfo[],
    readonly outputs: ValueInfo[] = [],
  ) {
    for (const input of inputs) this.used.add(input.name);
  }

  /** Returns a fresh tensor name derived from `hint`. */
  fresh(hint: string): string {
    let name = hint;
    while (this.used.has(name)) name = `${hint}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** Adds a constant tensor and returns its name. */
  init(name: string, dtype: DType, dims: number[], data: TensorData): string {
    const unique = this.fresh(name);
    this.initializers.push({ name: unique, dtype, dims, data });
    return unique;
  }

  /** Adds an int64 constant (shapes, axes, indices); `dims` defaults to a 1-D vector. */
  int64(name: string, values: number[], dims: number[] = [values.length]): string {
    return this.init(name, 'int64', dims, BigInt64Array.from(values.map((v) => BigInt(v))));
  }

  /** Adds a float32 constant; `dims` defaults to a 1-D vector. */
  float(name: string, values: number[] | Float32Array, dims: number[] = [values.length]): string {
    return this.init(name, 'float32', dims, Float32Array.from(values));
  }

  /** Shared float32 scalar constant (deduplicated by value). */
  scalar(value: number): string {
    let name = this.scalars.get(value);
    if (!name) {
      name = this.float(`const_${this.scalars.size}`, [value], []);
      this.scalars.set(value, name);
    }
    return name;
  }

  /** Adds a node with one output named after `out` (made unique) and returns that name. */
  op(op: string, inputs: string[], out: string, attrs?: Record<string, Attribute>): string {
    const output = this.fresh(out);
    this.push({ op, inputs, outputs: [output], attrs });
    return output;
  }

  /** Adds a node with explicit output names (used for graph outputs and multi-output ops). */
  opMulti(op: string, inputs: string[], outputs: string[], attrs?: Record<string, Attribute>): string[] {
    for (const o of outputs) this.used.add(o);
    this.push({ op, inputs, outputs, attrs });
    return outputs;
  }

  /** Freezes the builder into a graph. */
  build(): Graph {
    return {
      name: this.name,
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: this.inputs,
      outputs: this.outputs,
    };
  }

  private push(node: Omit<Node, 'name'>): void {
    const clean: Node = {
      op: node.op,
      inputs: node.inputs,
      outputs: node.outputs,
      name: `${node.op}_${this.nodes.length}`,
    };
    if (node.attrs) clean.attrs = node.attrs;
    if (node.domain) clean.domain = node.domain;
    this.nodes.push(clean);
  }
}
