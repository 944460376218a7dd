// Nodes that move the model's data without computing on it: Transpose, Squeeze/Unsqueeze, Flatten and
// Reshape only remap ONNX axes onto vigil's flow; Gather/Slice of the last time step turn a recurrent
// layer's sequence output into its last state (out[:, -1, :]); a Slice that trims a Conv's output
// moves that Conv's padding (torch's padding=(k-1)*d then [:, :, :-p]).
import { Flatten } from '../../layers/flatten.ts';
import type { NodeProto } from '../proto.ts';
import { attrInt, attrInts } from '../read.ts';
import { axisOf, type Ctx } from './context.ts';
import { newStep, output } from './steps.ts';
import { onnxDims, type Data, type Dim } from './values.ts';

/** An end index this large means "to the end" (torch writes INT64_MAX). */
const TO_END = 2 ** 31 - 1;

export function transposeData(ctx: Ctx, node: NodeProto, d: Data): Data {
  const r = d.axes.length;
  const perm = attrInts(node, 'perm', d.axes.map((_, k) => r - 1 - k), ctx.what);
  if (perm.length !== r || [...perm].sort((a, b) => a - b).some((p, k) => p !== k)) {
    ctx.fail(node, `perm [${perm.join(', ')}] is not a permutation of the ${r} axes`);
  }
  const pad = d.pad && { ...d.pad, axis: perm.indexOf(d.pad.axis) };
  return ctx.derive(node, d, { axes: perm.map((p) => d.axes[p]!), pad });
}

function dropAxes(ctx: Ctx, node: NodeProto, d: Data, drop: Set<number>): Data {
  for (const k of drop) {
    const a = d.axes[k]!;
    if (a === 0) ctx.fail(node, 'removing the batch axis is not supported');
    if (a > 0 && d.flow[a] !== 1) ctx.fail(node, `axis ${k} has size ${d.flow[a] ?? 'unknown'}, not 1`);
  }
  if (d.pad && drop.size > 0) ctx.fail(node, 'a padded tensor must go straight into a Conv');
  return ctx.derive(node, d, { axes: d.axes.filter((_, k) => !drop.has(k)) });
}

export function squeezeData(ctx: Ctx, node: NodeProto, d: Data, axes: number[] | null): Data {
  const dims = onnxDims(d);
  const drop = axes === null
    ? new Set(dims.flatMap((n, k) => (n === 1 && d.axes[k] !== 0 ? [k] : [])))
    : new Set(axes.map((a) => axisOf(ctx, node, a, dims.length)));
  return dropAxes(ctx, node, d, drop);
}

export function unsqueezeData(ctx: Ctx, node: NodeProto, d: Data, axes: number[]): Data {
  const r = d.axes.length + axes.length;
  const at = new Set(axes.map((a) => axisOf(ctx, node, a, r)));
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) out.push(at.has(i) ? -1 : d.axes[k++]!);
  if (d.pad) ctx.fail(node, 'a padded tensor must go straight into a Conv');
  return ctx.derive(node, d, { axes: out });
}

/** A recurrent layer's sequence output seen at its last step: the layer's last state, `keep`ing a unit axis. */
function lastStep(ctx: Ctx, node: NodeProto, d: Data, k: number, keep: boolean): Data {
  if (!d.step?.recurrent || d.view !== 'seq' || d.flow.length !== 3) {
    ctx.fail(node, 'taking one time step is supported only on the output sequence of a recurrent layer (LSTM, RNN)');
  }
  const axes = d.axes.flatMap((a, j) => (j === k ? (keep ? [-1] : []) : [a === 2 ? 1 : a]));
  return ctx.derive(node, d, { flow: [d.flow[0]!, d.flow[2]!], axes, view: 'last' });
}

export function gatherData(ctx: Ctx, node: NodeProto, d: Data, index: number[], scalar: boolean): Data {
  const k = axisOf(ctx, node, attrInt(node, 'axis', 0, ctx.what), d.axes.length);
  if (!scalar || index.length !== 1) ctx.fail(node, 'only a single index (a scalar) can be taken from the data');
  const i = index[0]!;
  const a = d.axes[k]!;
  if (a < 0 && (i === 0 || i === -1)) return dropAxes(ctx, node, d, new Set([k]));
  const T = d.flow[1];
  if (a === 1 && (i === -1 || (T !== null && i === T - 1))) return lastStep(ctx, node, d, k, false);
  return ctx.fail(node, `index ${i} on axis ${k}: only the last time step of a recurrent layer's output is supported`);
}

export function sliceData(ctx: Ctx, node: NodeProto, d: Data, starts: number[], ends: number[], axes: number[], steps: number[]): Data {
  let out = d;
  const dims = onnxDims(d);
  axes.forEach((a0, j) => {
    const k = axisOf(ctx, node, a0, dims.length);
    if ((steps[j] ?? 1) !== 1) ctx.fail(node, 'Slice with a step other than 1 on the data is not supported');
    const n = dims[k] ?? null;
    const start = starts[j]!, end = ends[j]!;
    const fromStart = start === 0 || (n !== null && start === -n);
    const toEnd = end >= TO_END || (n !== null && end >= n);
    if (fromStart && toEnd) return;
    const a = out.axes[k]!;
    if (a === 1 && out.step?.recurrent && (start === -1 || (n !== null && start === n - 1)) && toEnd) {
      out = lastStep(ctx, node, out, k, true);
      return;
    }
    const step = out.step;
    if (a === 1 && step?.className === 'Conv1D' && step.pads && out.exclusive && ctx.soleUse(out.name)) {
      // Trimming a Conv's output = the Conv padding less on that side.
      const front = start >= 0 ? start : n !== null ? n + start : ctx.fail(node, 'a negative Slice start needs a known length');
      const back = end < 0 ? -end : toEnd ? 0 : n !== null ? n - end : ctx.fail(node, 'a Slice end needs a known length');
      step.pads = [step.pads[0] - front, step.pads[1] - back];
      const T = out.flow[1];
      out = ctx.derive(node, out, { flow: [out.flow[0]!, T === null ? null : T - front - back, out.flow[2]!] });
      return;
    }
    ctx.fail(node, `Slice [${start}:${end}] of axis ${k} is not supported (only the last step of a recurrent layer's output, or trimming a Conv's padding)`);
  });
  return out === d ? ctx.derive(node, d, {}) : { ...out, name: node.output?.[0] ?? '' };
}

/** Flatten of everything after the batch axis (torch.flatten(x, 1), nn.Flatten, x.view(x.size(0), -1)). */
export function flattenData(ctx: Ctx, node: NodeProto, d: Data): Data {
  if (d.axes[0] !== 0) ctx.fail(node, 'Flatten must keep the batch axis first');
  if (d.pad) ctx.fail(node, 'a padded tensor must go straight into a Conv');
  const order = d.axes.slice(1).filter((a) => a >= 0);
  if (d.flow.length === 2) return ctx.derive(node, d, { axes: [0, 1] });
  if (d.flow.length !== 3 || order.length !== 2) ctx.fail(node, `Flatten of a ${d.flow.length}-D flow is not supported`);
  const [T, C] = [d.flow[1], d.flow[2]];
  if (T === null || C === null) ctx.fail(node, 'Flatten needs the time length known (export with a fixed length)');
  if (T * C > 1 << 24) ctx.fail(node, `Flatten of [${T}, ${C}] is too large`);
  // vigil's Flatten lays [T, C] out as t*C + c; the graph's order may be channels first (c*T + t).
  let perm: Int32Array | null = null;
  if (order[0] === 2) {
    perm = new Int32Array(T * C);
    for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) perm[c * T + t] = t * C + c;
  }
  const step = newStep('Flatten', node, d, {}, [], () => new Flatten());
  return { ...output(node, step, [d.flow[0]!, T * C], [0, 1]), featurePerm: perm };
}

/** Reshape onto a shape that flattens after the batch axis, or that only adds or removes axes of size 1. */
export function reshapeData(ctx: Ctx, node: NodeProto, d: Data, target: Dim[]): Data {
  const dims = onnxDims(d);
  const allowZero = attrInt(node, 'allowzero', 0, ctx.what) === 1;
  // A 0 copies the input's dim at the same position: keep it as a reference to that axis.
  const t: (Dim | { axis: number })[] = target.map((x, k) => (x === 0 && !allowZero && k < dims.length ? { axis: k } : x));
  const isBatch = (x: Dim | { axis: number }) => x === 'batch' || (typeof x === 'object' && d.axes[x.axis] === 0);
  const rest = dims.slice(1);
  const restKnown = rest.every((n) => n !== null) ? (rest as number[]).reduce((a, b) => a * b, 1) : null;
  if (t.length === 2 && d.axes[0] === 0 && (isBatch(t[0]!) ? (t[1] === -1 || t[1] === restKnown) : t[0] === -1 && t[1] === restKnown)) {
    return flattenData(ctx, node, d);
  }
  // Only unit axes change: the other axes, in order, must match one for one.
  const keep = dims.flatMap((n, k) => (n === 1 && d.axes[k] !== 0 ? [] : [k]));
  const wantKeep = t.flatMap((x, k) => (x === 1 ? [] : [k]));
  const same = keep.length === wantKeep.length && keep.every((k, j) => {
    const x = t[wantKeep[j]!]!;
    if (x === -1) return true;
    if (typeof x === 'object') return x.axis === k;
    return d.axes[k] === 0 ? x === 'batch' : x === dims[k];
  });
  if (same) {
    if (d.pad) ctx.fail(node, 'a padded tensor must go straight into a Conv');
    const axes = t.map((_, k) => (wantKeep.includes(k) ? d.axes[keep[wantKeep.indexOf(k)]!]! : -1));
    return ctx.derive(node, d, { axes });
  }
  return ctx.fail(node, `Reshape of the data into [${target.join(', ')}] is not supported (only flattening after the batch axis)`);
}
