// Reading ONNX graphs for import: initializers by name, which node produces and which consume a value,
// typed attribute access with defaults, opset checks and the model's metadata.
import { AttributeType, tensorToFloat32, tensorToInts, type AttributeProto, type ModelProto, type NodeProto, type TensorProto } from './proto.ts';
import { metadataOf } from './metadata.ts';

const utf8 = new TextDecoder();

export class GraphReader {
  readonly nodes: NodeProto[];
  readonly initializers = new Map<string, TensorProto>();
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly inputs: string[];
  readonly outputs: string[];
  readonly opsets = new Map<string, number>();

  constructor(readonly model: ModelProto, readonly what = 'model') {
    const g = model.graph!;
    this.nodes = g.node ?? [];
    for (const t of g.initializer ?? []) this.initializers.set(t.name ?? '', t);
    for (const n of this.nodes) {
      for (const o of n.output ?? []) this.producer.set(o, n);
      for (const i of n.input ?? []) {
        if (!i) continue;
        const list = this.consumers.get(i) ?? [];
        list.push(n);
        this.consumers.set(i, list);
      }
    }
    this.inputs = (g.input ?? []).map((v) => v.name).filter((n) => !this.initializers.has(n));
    this.outputs = (g.output ?? []).map((v) => v.name);
    for (const o of model.opset_import ?? []) this.opsets.set(o.domain ?? '', o.version);
  }

  /** The default domain's opset; throws when outside [min, max]. */
  requireOpset(min: number, max: number): number {
    const v = this.opsets.get('') ?? this.opsets.get('ai.onnx');
    if (v === undefined) throw new Error(`${this.what}: no opset for the default ONNX domain`);
    if (v < min || v > max) throw new Error(`${this.what}: opset ${v} is not supported (vigil reads opsets ${min} to ${max})`);
    return v;
  }

  /** A constant's float values: an initializer or the output of a Constant node. */
  floats(name: string): Float32Array {
    return tensorToFloat32(this.tensor(name), this.what);
  }

  ints(name: string): number[] {
    return tensorToInts(this.tensor(name), this.what);
  }

  isConstant(name: string): boolean {
    return this.initializers.has(name) || this.producer.get(name)?.op_type === 'Constant';
  }

  tensor(name: string): TensorProto {
    const init = this.initializers.get(name);
    if (init) return init;
    const node = this.producer.get(name);
    if (node?.op_type === 'Constant') {
      const t = attr(node, 'value')?.t;
      if (t) return { ...t, name };
    }
    throw new Error(`${this.what}: '${name}' is not a constant tensor (initializer or Constant)`);
  }

  metadata(): Record<string, string> {
    return metadataOf(this.model);
  }
}

export function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

function typed(node: NodeProto, name: string, type: number, what: string): AttributeProto | undefined {
  const a = attr(node, name);
  if (a && a.type !== undefined && a.type !== type) {
    throw new Error(`${what}: ${node.op_type} node '${node.name ?? ''}' attribute '${name}' has the wrong type`);
  }
  return a;
}

export function attrInt(node: NodeProto, name: string, fallback: number, what = 'model'): number {
  return typed(node, name, AttributeType.INT, what)?.i ?? fallback;
}
export function attrFloat(node: NodeProto, name: string, fallback: number, what = 'model'): number {
  return typed(node, name, AttributeType.FLOAT, what)?.f ?? fallback;
}
export function attrString(node: NodeProto, name: string, fallback: string, what = 'model'): string {
  const s = typed(node, name, AttributeType.STRING, what)?.s;
  return s ? utf8.decode(s) : fallback;
}
export function attrInts(node: NodeProto, name: string, fallback: number[], what = 'model'): number[] {
  return typed(node, name, AttributeType.INTS, what)?.ints ?? fallback;
}
export function attrFloats(node: NodeProto, name: string, fallback: number[], what = 'model'): number[] {
  return typed(node, name, AttributeType.FLOATS, what)?.floats ?? fallback;
}
export function attrStrings(node: NodeProto, name: string, fallback: string[], what = 'model'): string[] {
  return typed(node, name, AttributeType.STRINGS, what)?.strings?.map((s) => utf8.decode(s)) ?? fallback;
}
