// LSTM, SimpleRNN and Bidirectional -> ONNX's own LSTM and RNN operators (one node per layer, not an
// unrolled graph), time-major as ORT requires (`layout` 1 is refused by its CPU kernels).
//
// Weights. vigil keeps PyTorch's layout and gate order (native/README.md, test/fixtures/make_fixtures.py):
// W_ih [4H, I] and W_hh [4H, H] in row blocks i, f, g, o, and one bias [4H] (PyTorch's b_ih + b_hh).
// ONNX wants W [dirs, 4H, I], R [dirs, 4H, H] in blocks i, o, f, c (c is PyTorch's g) and
// B [dirs, 8H] = Wb ‖ Rb; so ONNX block k is vigil's block LSTM_BLOCKS[k] = [0, 3, 1, 2], Wb is vigil's
// bias in that order and Rb is zero. The RNN (one block, tanh) copies W_ih, W_hh and bias as they are.
//
// Lengths. ONNX's `sequence_lens` (int32) counts the valid steps from the start of each row, so the
// input arrives 'post'-padded (ExportGraph.padTo). onnxruntime writes zeros to Y at steps past a row's
// length and to Y_h for a row of length 0, which is what vigil's packed kernels output; a row of
// length 0 leaves the zero initial state. Bidirectional: ONNX's reverse direction reads the steps
// len-1 .. 0 and writes its output at each step's own position, as vigil's backward copy does.
import type { Bidirectional, MergeMode } from '../../layers/bidirectional.ts';
import type { Recurrent } from '../../layers/recurrent.ts';
import type { ExportGraph, Flow } from './graph.ts';
import { registerLayerExporter, sized } from './registry.ts';

const LSTM_BLOCKS = [0, 3, 1, 2];

/** Row blocks of `w` ([blocks * H, cols]) in ONNX's order, appended to `out` at `at`. */
function reorder(w: Float32Array, H: number, cols: number, blocks: readonly number[], out: Float32Array, at: number): void {
  const size = H * cols;
  blocks.forEach((from, k) => out.set(w.subarray(from * size, (from + 1) * size), at + k * size));
}

/** W, R, B of one or two directions (forward first), in ONNX's layout. */
function onnxWeights(dirs: readonly Recurrent[]): { W: Float32Array; R: Float32Array; B: Float32Array; G: number } {
  const l = dirs[0]!;
  const H = l.units, I = l.inputDim, G = l.kernel.length / I;
  const blocks = G === 4 * H ? LSTM_BLOCKS : [0];
  const D = dirs.length;
  const W = new Float32Array(D * G * I), R = new Float32Array(D * G * H), B = new Float32Array(D * 2 * G);
  dirs.forEach((d, k) => {
    reorder(d.kernel, H, I, blocks, W, k * G * I);
    reorder(d.recurrentKernel, H, H, blocks, R, k * G * H);
    reorder(d.bias, H, 1, blocks, B, k * 2 * G); // Rb, the second half, stays 0
  });
  return { W, R, B, G };
}

/** The inverse of onnxWeights: each direction's kernel, recurrent kernel and bias back in vigil's order. */
function restoreWeights(dirs: readonly Recurrent[], get: (name: string) => Float32Array, name: string): void {
  const l = dirs[0]!;
  const H = l.units, I = l.inputDim, G = l.kernel.length / I, D = dirs.length;
  const blocks = G === 4 * H ? LSTM_BLOCKS : [0];
  const W = sized(get(`${name}/W`), D * G * I, `${name}/W`);
  const R = sized(get(`${name}/R`), D * G * H, `${name}/R`);
  const B = sized(get(`${name}/B`), D * 2 * G, `${name}/B`);
  // ONNX block k holds vigil's block blocks[k]; Wb and Rb add up to vigil's one bias.
  const back = (from: Float32Array, at: number, cols: number, out: Float32Array, extra?: number) => {
    blocks.forEach((to, k) => {
      for (let j = 0; j < H * cols; j++) {
        out[to * H * cols + j] = from[at + k * H * cols + j]! + (extra === undefined ? 0 : from[extra + k * H * cols + j]!);
      }
    });
  };
  dirs.forEach((d, k) => {
    back(W, k * G * I, I, d.kernel);
    back(R, k * G * H, H, d.recurrentKernel);
    back(B, k * 2 * G, 1, d.bias, k * 2 * G + G);
    d.weightsChanged();
  });
}

function emitRecurrent(x: Flow, dirs: readonly Recurrent[], merge: MergeMode, returnSequences: boolean, name: string, g: ExportGraph): Flow {
  const l = dirs[0]!;
  const H = l.units, I = l.inputDim, D = dirs.length;
  const { W, R, B, G } = onnxWeights(dirs);
  const op = G === 4 * H ? 'LSTM' : 'RNN';
  const inputs = [
    // [batch, time, features] (or [batch, features, time] after convolutions) -> [time, batch, features].
    g.op('Transpose', [x.name], { perm: { ints: x.channelsFirst ? [2, 0, 1] : [1, 0, 2] } }),
    g.floats(`${name}/W`, [D, G, I], W), g.floats(`${name}/R`, [D, G, H], R), g.floats(`${name}/B`, [D, 2 * G], B),
    x.lengths ? g.lengths32(x.lengths) : '',
  ];
  const attrs = { hidden_size: { i: H }, direction: { s: D === 2 ? 'bidirectional' : 'forward' } };
  const width = merge === 'concat' ? D * H : H;
  const half = (v: string) => (merge === 'ave' ? g.op('Mul', [v, g.scalar(0.5)]) : v);
  if (returnSequences) {
    const Y = g.g.add(op, inputs, attrs, 1)[0]!; // [time, dirs, batch, H]
    const seq = D === 1 || merge === 'concat'
      ? g.op('Reshape', [g.op('Transpose', [Y], { perm: { ints: [2, 0, 1, 3] } }), g.ints([0, 0, -1])])
      : g.op('Transpose', [half(g.op('ReduceSum', [Y, g.ints([1])], { keepdims: { i: 0 } }))], { perm: { ints: [1, 0, 2] } });
    return { ...x, name: seq, dims: [x.dims[0]!, x.dims[1]!, width], channelsFirst: false };
  }
  const Yh = g.g.add(op, inputs, attrs, ['', g.g.fresh(`${name}_h`)])[1]!; // [dirs, batch, H]
  const last = D === 1 || merge === 'concat'
    ? g.op('Reshape', [g.op('Transpose', [Yh], { perm: { ints: [1, 0, 2] } }), g.ints([0, -1])])
    : half(g.op('ReduceSum', [Yh, g.ints([0])], { keepdims: { i: 0 } }));
  return { name: last, dims: [x.dims[0]!, width], channelsFirst: false, lengths: null, padded: 'pre', time: null };
}

for (const className of ['LSTM', 'SimpleRNN']) {
  registerLayerExporter<Recurrent>(className, {
    padding: () => 'post',
    channels: 'any',
    emit: (x, layer, g) => emitRecurrent(x, [layer], 'concat', layer.returnSequences, layer.name, g),
    restore: (layer, get) => restoreWeights([layer], get, layer.name),
  });
}

registerLayerExporter<Bidirectional>('Bidirectional', {
  padding: () => 'post',
  channels: 'any',
  emit: (x, layer, g) => emitRecurrent(x, [layer.forwardLayer, layer.backwardLayer], layer.mergeMode, layer.returnSequences, layer.name, g),
  restore: (layer, get) => restoreWeights([layer.forwardLayer, layer.backwardLayer], get, layer.name),
});

