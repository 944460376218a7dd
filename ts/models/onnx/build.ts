// Building ONNX graphs for export: fresh value names, nodes with typed attributes, initializers, and the
// model wrapper with the opsets vigil writes (default domain 17, ai.onnx.ml 3; IR version 8, which
// onnx 1.12's checker and onnxruntime both accept).
import {
  AttributeType, DataType, encodeModel,
  type AttributeProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from './proto.ts';

export const IR_VERSION = 8;
export const OPSET = 17;
export const ML_OPSET = 3;
export const ML_DOMAIN = 'ai.onnx.ml';

/** An attribute value with its ONNX type spelled out (a JS number can't say whether it is INT or FLOAT). */
export type AttrValue =
  | { f: number } | { i: number } | { s: string } | { t: TensorProto }
  | { floats: readonly number[] } | { ints: readonly number[] } | { strings: readonly string[] };

const utf8 = new TextEncoder();

function attribute(name: string, v: AttrValue): AttributeProto {
  if ('f' in v) return { name, type: AttributeType.FLOAT, f: v.f };
  if ('i' in v) return { name, type: AttributeType.INT, i: v.i };
  if ('s' in v) return { name, type: AttributeType.STRING, s: utf8.encode(v.s) };
  if ('t' in v) return { name, type: AttributeType.TENSOR, t: v.t };
  if ('floats' in v) return { name, type: AttributeType.FLOATS, floats: [...v.floats] };
  if ('ints' in v) return { name, type: AttributeType.INTS, ints: [...v.ints] };
  return { name, type: AttributeType.STRINGS, strings: v.strings.map((s) => utf8.encode(s)) };
}

/** A tensor value's declared type; a string dimension is symbolic (dynamic), e.g. 'batch'. */
export function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) },
      },
    },
  };
}

export interface ModelSpec {
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  /** `vigil.*` keys: the preprocessing and threshold state that makes the file the whole model. */
  metadata?: Record<string, string>;
  docString?: string;
  graphName?: string;
}

/** Accumulates nodes and initializers under unique names, then wraps them as a ModelProto. */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly produced = new Set<string>();
  private usesMl = false;

  /** A value name not used yet in this graph, derived from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Adds an initializer under a fresh name derived from its own; returns the name to reference. */
  constant(tensor: TensorProto): string {
    const name = this.fresh(tensor.name ?? 'const');
    this.initializers.push({ ...tensor, name });
    return name;
  }

  /**
   * Adds a node; `outputs` are exact names (a graph output's, say) or a count of fresh ones. An empty
   * string in `inputs` or `outputs` marks an omitted optional input or output, as ONNX spells it
   * (an LSTM asked for its last state only). Returns the output names.
   */
  add(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputs: readonly string[] | number = 1, domain = ''): string[] {
    const names = typeof outputs === 'number'
      ? Array.from({ length: outputs }, (_, k) => this.fresh(`${op.toLowerCase()}${outputs > 1 ? `_${k}` : ''}`))
      : outputs.map((o) => {
        if (o === '') return o;
        if (this.produced.has(o)) throw new Error(`GraphBuilder: value '${o}' is produced twice`);
        this.used.add(o);
        return o;
      });
    for (const n of names) if (n) this.produced.add(n);
    if (domain === ML_DOMAIN) this.usesMl = true;
    this.nodes.push({
      op_type: op,
      domain: domain || undefined,
      name: this.fresh(`${op}_node`),
      input: [...inputs],
      output: names,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return names;
  }

  /** Reserves names (graph inputs and outputs) so that fresh names never take them. */
  reserve(...names: string[]): void {
    for (const n of names) this.used.add(n);
  }

  toModel(spec: ModelSpec): ModelProto {
    return {
      ir_version: IR_VERSION,
      producer_name: 'vigil',
      producer_version: '0.1.0',
      opset_import: [{ domain: '', version: OPSET }, ...(this.usesMl ? [{ domain: ML_DOMAIN, version: ML_OPSET }] : [])],
      doc_string: spec.docString,
      graph: {
        name: spec.graphName ?? 'vigil',
        node: this.nodes,
        initializer: this.initializers,
        input: spec.inputs,
        output: spec.outputs,
      },
      metadata_props: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    };
  }

  toBytes(spec: ModelSpec): Uint8Array {
    return encodeModel(this.toModel(spec));
  }
}

export { DataType };
