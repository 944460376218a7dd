// Walks an ONNX graph from its input in node order: constants fold, every other node must match a rule
// (rules.ts), and the first node that matches none ends the import with an error that names it.
import { DataType, ELEMENT_NAMES, type ModelProto, type NodeProto } from '../proto.ts';
import { GraphReader } from '../read.ts';
import { Ctx, ONNXRUNTIME_HINT, OnnxImportError, describeNode } from './context.ts';
import { constFromTensor, FOLDS } from './fold.ts';
import { RULES } from './rules.ts';
import type { Const, Data, Value } from './values.ts';

/** The opsets of the default domain the rules are written for (torch.onnx.export 13-17, vigil's 17). */
export const MIN_OPSET = 11;
export const MAX_OPSET = 17;

export interface GraphInput {
  name: string;
  /** 'int64' | 'int32' for token ids, 'float32' | 'float64' for values. */
  dtype: string;
  /** Dims after the batch axis (null: dynamic). */
  shape: (number | null)[];
}

export interface Walked {
  ctx: Ctx;
  input: GraphInput;
  inputData: Data;
  output: Data;
  outputName: string;
}

function fail(what: string, problem: string): never {
  throw new OnnxImportError(`${what}: ${problem}; ${ONNXRUNTIME_HINT}`);
}

function graphInput(reader: GraphReader, what: string): [GraphInput, Data] {
  if (reader.inputs.length !== 1) fail(what, `the graph has ${reader.inputs.length} inputs; vigil's models take one`);
  const name = reader.inputs[0]!;
  const info = reader.model.graph!.input!.find((v) => v.name === name)!;
  const t = info.type?.tensor_type;
  const elem = t?.elem_type ?? 0;
  const ids = elem === DataType.INT64 || elem === DataType.INT32;
  if (!ids && elem !== DataType.FLOAT && elem !== DataType.DOUBLE) {
    fail(what, `input '${name}' has element type ${ELEMENT_NAMES[elem] ?? elem}; vigil imports float or integer (token id) inputs`);
  }
  const dims = t?.shape?.dim;
  if (!dims || dims.length < 2) fail(what, `input '${name}' must have a declared shape [batch, ...] of rank 2 or more`);
  const shape = dims.slice(1).map((d) => (d.dim_value && d.dim_value > 0 ? d.dim_value : null));
  const flow = [null, ...shape];
  const data: Data = {
    kind: 'data', name, step: null, flow, axes: flow.map((_, k) => k), ids, view: 'seq', featurePerm: null, pad: null, exclusive: true,
  };
  return [{ name, dtype: ELEMENT_NAMES[elem] === 'float' ? 'float32' : ELEMENT_NAMES[elem] === 'double' ? 'float64' : ELEMENT_NAMES[elem]!, shape }, data];
}

/** Initializers turn into constants when a node first reads them (big tables convert once). */
class LazyValues extends Map<string, Value> {
  constructor(private readonly reader: GraphReader, private readonly what: string) {
    super();
  }

  override get(name: string): Value | undefined {
    let v = super.get(name);
    if (!v) {
      const t = this.reader.initializers.get(name);
      if (t) {
        v = constFromTensor(t, this.what);
        super.set(name, v);
      }
    }
    return v;
  }
}

function runNode(ctx: Ctx, node: NodeProto): (Value | undefined)[] {
  const inputs = (node.input ?? []).map((_, k) => ctx.input(node, k));
  const fold = FOLDS[node.op_type];
  if (fold && inputs.every((v) => v === undefined || v.kind === 'const')) return [fold(node, inputs as (Const | undefined)[], ctx)];
  const rule = RULES[node.op_type];
  if (!rule) {
    throw new OnnxImportError(`${ctx.what}: ${describeNode(node)}: operator ${node.op_type} is not supported by vigil's importer; ${ONNXRUNTIME_HINT}`, node);
  }
  return rule(node, ctx);
}

export function walkGraph(model: ModelProto, what: string): Walked {
  const reader = new GraphReader(model, what);
  let opset: number;
  try {
    opset = reader.requireOpset(MIN_OPSET, MAX_OPSET);
  } catch (err) {
    return fail(what, (err as Error).message.replace(`${what}: `, ''));
  }
  const [input, inputData] = graphInput(reader, what);
  if (reader.outputs.length !== 1) fail(what, `the graph has ${reader.outputs.length} outputs; vigil's Sequential gives one`);
  const ctx = new Ctx(reader, what, opset, new LazyValues(reader, what));
  ctx.values.set(input.name, inputData);
  for (const node of reader.nodes) {
    if (node.domain && node.domain !== 'ai.onnx') {
      throw new OnnxImportError(`${what}: ${describeNode(node)}: operator ${node.domain}.${node.op_type} is not supported by vigil's importer; ${ONNXRUNTIME_HINT}`, node);
    }
    const outs = runNode(ctx, node);
    (node.output ?? []).forEach((name, k) => {
      const v = outs[k];
      if (name && v) ctx.values.set(name, v.kind === 'data' ? { ...v, name } : v);
    });
  }
  const outputName = reader.outputs[0]!;
  const out = ctx.values.get(outputName);
  if (out?.kind !== 'data') fail(what, `output '${outputName}' is ${out ? 'not computed from the input' : 'not produced by any node'}`);
  return { ctx, input, inputData, output: out, outputName };
}
