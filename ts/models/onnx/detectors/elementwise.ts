// A small interpreter for the elementwise arithmetic skl2onnx puts after each isolation tree (leaf id ->
// LabelEncoder -> c(n) in closed form -> depth). Rather than match that chain op by op, the importer
// runs it once on the vector of every leaf's value, in double precision, and reads off each leaf's path
// length: the chain's spelling may change between skl2onnx versions, its meaning does not.
import type { NodeProto } from '../proto.ts';
import { DataType } from '../build.ts';
import { attr, attrFloats, attrInt, attrInts, type GraphReader } from '../read.ts';
import { nodeName, tensorValues } from './common.ts';

type Vec = Float64Array;

const UNARY: Record<string, (x: number) => number> = {
  Neg: (x) => -x, Log: Math.log, Exp: Math.exp, Abs: Math.abs, Sqrt: Math.sqrt, Reciprocal: (x) => 1 / x,
  Floor: Math.floor, Ceil: Math.ceil, Identity: (x) => x,
};
const BINARY: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b, Sub: (a, b) => a - b, Mul: (a, b) => a * b, Div: (a, b) => a / b, Pow: Math.pow,
  Equal: (a, b) => +(a === b), Greater: (a, b) => +(a > b), Less: (a, b) => +(a < b),
  GreaterOrEqual: (a, b) => +(a >= b), LessOrEqual: (a, b) => +(a <= b),
};
const VARIADIC: Record<string, (a: number, b: number) => number> = { Max: Math.max, Min: Math.min, Sum: (a, b) => a + b, Mean: (a, b) => a + b };
/** Ops that only reshape: on one value per leaf they are the identity. */
const SHAPE = new Set(['Reshape', 'Squeeze', 'Unsqueeze', 'Flatten']);
const INTEGER_TYPES = new Set<number>([DataType.INT64, DataType.INT32, DataType.INT16, DataType.INT8, DataType.UINT8, DataType.UINT16]);

function labelEncoder(r: GraphReader, node: NodeProto, x: Vec): Vec {
  const what = `${r.what}: ${nodeName(node)}`;
  const keys = attr(node, 'keys_int64s') ? attrInts(node, 'keys_int64s', [], r.what)
    : attr(node, 'keys_floats') ? attrFloats(node, 'keys_floats', [], r.what)
    : attr(node, 'keys_tensor')?.t ? Array.from(tensorValues(attr(node, 'keys_tensor')!.t!, r.what)) : undefined;
  const values = attr(node, 'values_floats') ? attrFloats(node, 'values_floats', [], r.what)
    : attr(node, 'values_int64s') ? attrInts(node, 'values_int64s', [], r.what)
    : attr(node, 'values_tensor')?.t ? Array.from(tensorValues(attr(node, 'values_tensor')!.t!, r.what)) : undefined;
  if (!keys) throw new Error(`${what} has no numeric keys (keys_int64s or keys_floats)`);
  if (!values) throw new Error(`${what} has no numeric values (values_floats or values_int64s)`);
  if (keys.length !== values.length) throw new Error(`${what}: ${keys.length} keys but ${values.length} values`);
  const map = new Map<number, number>();
  keys.forEach((k, i) => map.set(k, values[i]!));
  const fallback = attr(node, 'values_floats') ? (attr(node, 'default_float')?.f ?? -0) : attrInt(node, 'default_int64', -1, r.what);
  return x.map((v) => map.get(v) ?? fallback);
}

/**
 * Runs, in the graph's order, every node downstream of `start` (bound to `values`) whose other inputs
 * are constants, up to but not including `stop`; returns every value computed. A node that combines
 * the chain with a computed value, or an op outside the elementwise set above, is an Error naming it.
 */
export function evaluateChain(r: GraphReader, start: string, values: Vec, stop: NodeProto): Map<string, Vec> {
  const env = new Map<string, Vec>([[start, values]]);
  const n = values.length;
  for (const node of r.nodes) {
    if (node === stop) continue;
    const inputs = (node.input ?? []).filter((i) => i !== '');
    if (!inputs.some((i) => env.has(i))) continue;
    const what = `${r.what}: ${nodeName(node)}`;
    const operand = (name: string): Vec => {
      const v = env.get(name);
      if (v) return v;
      if (!r.isConstant(name)) throw new Error(`${what} combines the tree's values with '${name}', which is neither a constant nor computed from them`);
      const c = tensorValues(r.tensor(name), r.what);
      if (c.length !== 1) throw new Error(`${what}: constant '${name}' holds ${c.length} values; only single numbers broadcast over the leaves`);
      return new Float64Array(n).fill(c[0]!);
    };
    const op = node.op_type;
    let out: Vec;
    if (node.domain === 'ai.onnx.ml' && op === 'LabelEncoder') out = labelEncoder(r, node, operand(inputs[0]!));
    else if (node.domain && node.domain !== 'ai.onnx') throw new Error(`${what} (domain ${node.domain}) is not an elementwise op vigil evaluates`);
    else if (SHAPE.has(op)) out = operand(inputs[0]!);
    else if (op === 'Cast') {
      const to = attrInt(node, 'to', 0, r.what);
      const x = operand(inputs[0]!);
      out = to === DataType.BOOL ? x.map((v) => +(v !== 0)) : INTEGER_TYPES.has(to) ? x.map(Math.trunc) : x.slice();
    } else if (UNARY[op]) out = operand(inputs[0]!).map(UNARY[op]!);
    else if (BINARY[op]) {
      if (inputs.length !== 2) throw new Error(`${what} has ${inputs.length} inputs, expected 2`);
      const a = operand(inputs[0]!), b = operand(inputs[1]!), f = BINARY[op]!;
      out = a.map((v, i) => f(v, b[i]!));
    } else if (VARIADIC[op]) {
      const f = VARIADIC[op]!;
      out = operand(inputs[0]!).slice();
      for (const name of inputs.slice(1)) {
        const b = operand(name);
        for (let i = 0; i < n; i++) out[i] = f(out[i]!, b[i]!);
      }
      if (op === 'Mean') out = out.map((v) => v / inputs.length);
    } else {
      throw new Error(`${what} is not an elementwise op vigil evaluates after an isolation tree`);
    }
    for (const o of node.output ?? []) if (o) env.set(o, out);
  }
  return env;
}
