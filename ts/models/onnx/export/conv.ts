// Conv1D, MaxPooling1D and UpSampling1D in ONNX's channels-first layout [batch, channels, time]: a
// stack of them transposes once on the way in and once on the way out (emitSequential), not per layer.
//
// Padding: Conv1D's 'causal' pads (K-1)·d steps on the left, 'same' the same total with floor(total/2)
// on the left (Keras), 'valid' none and shortens rows by (K-1)·d; MaxPooling1D 'same' pads as ONNX's
// SAME_UPPER (the smaller half on the left, padding never wins). Padded rows: vigil zeroes the padded
// steps before each convolution and pooling and zeroes the padded outputs after, so the graph does too;
// at stride 1 that makes a convolution independent of where the padding sits.
import type { Conv1D } from '../../layers/conv1d.ts';
import type { MaxPooling1D, UpSampling1D } from '../../layers/sampling1d.ts';
import { emitActivation } from './activation.ts';
import { deriveDim, type ExportGraph, type Flow } from './graph.ts';
import { registerLayerExporter } from './registry.ts';

/** One stride-1 convolution as vigil's Conv1D computes it (TCN blocks are made of these). */
export interface ConvSpec {
  /** Initializer name prefix (vigil's weight name prefix). */
  name: string;
  /** [filters, inChannels, kernelSize]. */
  kernel: Float32Array;
  bias: Float32Array | null;
  filters: number;
  kernelSize: number;
  dilation: number;
  padding: 'valid' | 'same' | 'causal';
  activation: string;
}

/** The convolution of a channels-first flow, with vigil's handling of padded rows. */
export function emitConv(x: Flow, c: ConvSpec, g: ExportGraph): Flow {
  const C = x.dims[2] as number;
  const total = (c.kernelSize - 1) * c.dilation;
  const left = c.padding === 'causal' ? total : c.padding === 'same' ? Math.floor(total / 2) : 0;
  const right = c.padding === 'valid' ? 0 : total - left;
  const inputs = [g.zeroPadded(x).name, g.floats(`${c.name}/kernel`, [c.filters, C, c.kernelSize], c.kernel)];
  if (c.bias) inputs.push(g.floats(`${c.name}/bias`, [c.filters], c.bias));
  const z = g.op('Conv', inputs, {
    kernel_shape: { ints: [c.kernelSize] }, dilations: { ints: [c.dilation] }, pads: { ints: [left, right] }, strides: { ints: [1] },
  });
  const shrink = c.padding === 'valid' ? total : 0;
  const y: Flow = {
    ...x, name: emitActivation(g, z, c.activation),
    dims: [x.dims[0]!, deriveDim(x.dims[1]!, (t) => t - shrink, (s) => (shrink ? `${s}-${shrink}` : s)), c.filters],
  };
  if (shrink > 0) {
    y.time = null;
    if (x.lengths) y.lengths = g.op('Max', [g.op('Sub', [x.lengths, g.ints([shrink], true)]), g.ints([0], true)]);
  }
  return g.zeroPadded(y);
}

registerLayerExporter<Conv1D>('Conv1D', {
  padding: () => 'any',
  channels: 'first',
  emit: (x, layer, g) => emitConv(x, {
    name: layer.name, kernel: layer.kernel, bias: layer.bias, filters: layer.filters, kernelSize: layer.kernelSize,
    dilation: layer.dilationRate, padding: layer.padding, activation: layer.activation,
  }, g),
});

/** int64 helpers over scalars/vectors for MaxPooling1D's output lengths. */
function intOps(g: ExportGraph) {
  const k = (v: number) => g.ints([v], true);
  return {
    k,
    add: (a: string, b: string) => g.op('Add', [a, b]),
    sub: (a: string, b: string) => g.op('Sub', [a, b]),
    mul: (a: string, b: string) => g.op('Mul', [a, b]),
    div: (a: string, b: string) => g.op('Div', [a, b]), // exact for the non-negative values used here
    max: (a: string, b: string) => g.op('Max', [a, b]),
    min: (a: string, b: string) => g.op('Min', [a, b]),
  };
}

registerLayerExporter<MaxPooling1D>('MaxPooling1D', {
  // vigil's windows start at the first step of the padded row, so the result depends on where the
  // valid steps sit: pool the 'pre'-padded rows as vigil does.
  padding: () => 'pre',
  channels: 'first',
  emit(x, layer, g) {
    const p = layer.poolSize, s = layer.strides, T = x.dims[1]!;
    const same = layer.padding === 'same';
    const To = deriveDim(T, (t) => (same ? Math.ceil(t / s) : Math.floor((t - p) / s) + 1), (n) => `pool(${n})`);
    const attrs: Parameters<ExportGraph['op']>[2] = { kernel_shape: { ints: [p] }, strides: { ints: [s] } };
    if (!same) attrs.pads = { ints: [0, 0] };
    else if (typeof T === 'number') {
      const total = Math.max(0, ((To as number) - 1) * s + p - T);
      attrs.pads = { ints: [Math.floor(total / 2), total - Math.floor(total / 2)] };
    } else attrs.auto_pad = { s: 'SAME_UPPER' };
    const y: Flow = { ...x, name: g.op('MaxPool', [g.zeroPadded(x).name], attrs), dims: [x.dims[0]!, To, x.dims[2]!], time: null };
    if (!x.lengths) return y;
    // An output step is valid when its window reaches a valid step: window i spans
    // [i·s - left, i·s - left + p), the valid steps are [T - len, T); so the first valid output is
    // the number of windows ending at or before T - len: max(0, floor((T - len + left - p) / s) + 1).
    const o = intOps(g);
    const Tn = g.time(x);
    const ToN = typeof To === 'number' ? o.k(To) : same
      ? o.div(o.add(Tn, o.k(s - 1)), o.k(s))
      : o.add(o.div(o.sub(Tn, o.k(p)), o.k(s)), o.k(1));
    const left = same ? o.div(o.max(o.sub(o.add(o.mul(o.sub(ToN, o.k(1)), o.k(s)), o.k(p)), Tn), o.k(0)), o.k(2)) : o.k(0);
    const X = o.sub(o.add(o.sub(Tn, x.lengths), left), o.k(p));
    const before = g.op('Where', [g.op('Less', [X, o.k(0)]), o.k(0), o.add(o.div(X, o.k(s)), o.k(1))]);
    y.lengths = o.sub(ToN, o.min(before, ToN));
    y.time = ToN;
    return g.zeroPadded(y);
  },
});

registerLayerExporter<UpSampling1D>('UpSampling1D', {
  padding: () => 'any',
  channels: 'any',
  emit(x, layer, g) {
    const n = layer.size, C = x.dims[2] as number;
    // Each step repeated n times: [.., T, 1 ..] expanded to n along the new axis, then merged into T.
    const first = x.channelsFirst;
    const up = g.op('Expand', [g.op('Unsqueeze', [x.name, g.ints([first ? 3 : 2])]), g.ints(first ? [1, 1, 1, n] : [1, 1, n, 1])]);
    return {
      ...x,
      name: g.op('Reshape', [up, g.ints(first ? [0, C, -1] : [0, -1, C])]),
      dims: [x.dims[0]!, deriveDim(x.dims[1]!, (t) => t * n, (s) => `${s}*${n}`), C],
      lengths: x.lengths && g.op('Mul', [x.lengths, g.ints([n], true)]),
      time: null,
    };
  },
});
