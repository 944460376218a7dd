// What a rule sees while the importer walks the graph: the values known so far, the graph's
// consumers of each value, and one way to fail that names the node and points at onnxruntime.
import type { GraphReader } from '../read.ts';
import type { NodeProto } from '../proto.ts';
import type { Const, Data, Value } from './values.ts';

/** The graph can't be mapped onto vigil's layers; `node` is the first node that could not. */
export class OnnxImportError extends Error {
  readonly opType: string | null;
  readonly nodeName: string | null;

  constructor(message: string, node?: NodeProto) {
    super(message);
    this.name = 'OnnxImportError';
    this.opType = node?.op_type ?? null;
    this.nodeName = node ? node.name ?? '' : null;
  }
}

export const ONNXRUNTIME_HINT = 'run it with OnnxModel (onnxruntime) instead';

export function describeNode(node: NodeProto): string {
  return `${node.op_type} node '${node.name ?? ''}'`;
}

export class Ctx {
  constructor(readonly reader: GraphReader, readonly what: string, readonly opset: number,
    readonly values: Map<string, Value> = new Map()) {}

  /** Throws an OnnxImportError naming the node. */
  fail(node: NodeProto, problem: string): never {
    throw new OnnxImportError(`${this.what}: ${describeNode(node)}: ${problem}; ${ONNXRUNTIME_HINT}`, node);
  }

  /** The value of input `k` of the node (undefined when the optional input is omitted). */
  input(node: NodeProto, k: number): Value | undefined {
    const name = node.input?.[k];
    if (!name) return undefined;
    const v = this.values.get(name);
    if (!v) this.fail(node, `input '${name}' is not produced by any earlier node, initializer or graph input`);
    return v;
  }

  data(node: NodeProto, k: number): Data {
    const v = this.input(node, k);
    if (v?.kind !== 'data') this.fail(node, `input ${k} must be the model's data, got ${v ? `a ${v.kind === 'const' ? 'constant' : v.kind} value` : 'nothing'}`);
    return v;
  }

  constant(node: NodeProto, k: number, what = `input ${k}`): Const {
    const v = this.input(node, k);
    if (v?.kind !== 'const') this.fail(node, `${what} must be a constant tensor`);
    return v;
  }

  /** Constant integers (axes, pads, indices). */
  ints(node: NodeProto, k: number, what = `input ${k}`): number[] {
    return Array.from(this.constant(node, k, what).data);
  }

  /** Whether the value feeds this one node only and is not a graph output: rules may then fold into its producer. */
  soleUse(name: string): boolean {
    return (this.reader.consumers.get(name)?.length ?? 0) <= 1 && !this.reader.outputs.includes(name);
  }

  /** A Data value derived from `from` (same flow) through `node`'s first output. */
  derive(node: NodeProto, from: Data, change: Partial<Data>): Data {
    return { ...from, name: node.output?.[0] ?? '', exclusive: from.exclusive && this.soleUse(from.name), ...change };
  }
}

/** A rule maps one node onto the values of its outputs (in order), adding layers to the chain. */
export type Rule = (node: NodeProto, ctx: Ctx) => (Value | undefined)[];

/** Normalises a possibly negative axis against a rank; throws through ctx when out of range. */
export function axisOf(ctx: Ctx, node: NodeProto, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) ctx.fail(node, `axis ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
}
