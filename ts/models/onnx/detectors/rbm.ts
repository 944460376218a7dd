// RBM <-> ONNX: the free energy in standard operators (vigil's own layout; scikit-learn's BernoulliRBM
// has no skl2onnx converter to follow).
//   hidden term   ReduceSum(Softplus(X W^T + c), axis 1)
//   Gaussian      0.5 ReduceSum((X - b)^2, axis 1) - hidden term
//   Bernoulli     -(X b) - hidden term
// = anomaly_score (vigil's scoreSamples, the free energy), then the shared tail (common.ts). With
// `scoring: 'reconstruction'` the anomaly score is instead
//   P = Sigmoid(X W^T + c), R = P W + b (Gaussian) or Sigmoid(P W + b) (Bernoulli),
//   ReduceMean((X - R)^2, axis 1)
// with W [hiddenUnits, features] as a second initializer. Import
// reads back files vigil wrote: the weights from the initializers named below, the rest from metadata.
import type { FittedDetectorState } from '../../detectors/detector.ts';
import { floatTensor, int64Tensor } from '../proto.ts';
import type { GraphReader } from '../read.ts';
import {
  detectorBuilder, finishDetectorGraph, graphThreshold, INPUT, numberOf, OUTPUTS, preferExact, weightOf,
  type DetectorExportOptions, type DetectorRecord, type VigilDetectorMeta,
} from './common.ts';

const NAMES = { weights: 'W_t', hidden: 'hidden_bias', visible: 'visible_bias' } as const;

/** A fitted RBM's state (Detector.fittedState) as ONNX bytes. */
export function rbmToOnnx(state: FittedDetectorState, opts: DetectorExportOptions = {}): Uint8Array {
  const V = numberOf(state.fitted, 'features'), H = numberOf(state.config, 'hiddenUnits');
  const W = weightOf(state, 'W'), b = weightOf(state, 'b'), c = weightOf(state, 'c');
  const visibleType = state.config.visible;
  const wt = new Float32Array(V * H);
  for (let h = 0; h < H; h++) for (let v = 0; v < V; v++) wt[v * H + h] = W[h * V + v]!;
  const g = detectorBuilder();
  const [z] = g.add('MatMul', [INPUT, g.constant(floatTensor(NAMES.weights, [V, H], wt))]);
  const [zc] = g.add('Add', [z!, g.constant(floatTensor(NAMES.hidden, [H], c))]);
  if (state.config.scoring === 'reconstruction') {
    const [p] = g.add('Sigmoid', [zc!]);
    const [pw] = g.add('MatMul', [p!, g.constant(floatTensor('W', [H, V], W))]);
    let [r] = g.add('Add', [pw!, g.constant(floatTensor(NAMES.visible, [V], b))]);
    if (visibleType !== 'gaussian') [r] = g.add('Sigmoid', [r!]);
    const [d] = g.add('Sub', [INPUT, r!]);
    const [sq] = g.add('Mul', [d!, d!]);
    g.add('ReduceMean', [sq!], { axes: { ints: [1] }, keepdims: { i: 1 } }, [OUTPUTS.anomaly]);
    const mean = visibleType === 'gaussian' ? 'b + p W' : 'sigmoid(b + p W)';
    return finishDetectorGraph(g, 'RBM', state, V,
      `the reconstruction error mean((x - ${mean})^2), p = sigmoid(W x + c) (${visibleType} visible units)`, opts);
  }
  const axes = g.constant(int64Tensor('axes', [1], [1]));
  const [sp] = g.add('Softplus', [zc!]);
  const [hidden] = g.add('ReduceSum', [sp!, axes], { keepdims: { i: 1 } });
  let visible: string;
  if (visibleType === 'gaussian') {
    const [d] = g.add('Sub', [INPUT, g.constant(floatTensor(NAMES.visible, [V], b))]);
    const [sq] = g.add('Mul', [d!, d!]);
    const [ss] = g.add('ReduceSum', [sq!, axes], { keepdims: { i: 1 } });
    [visible] = g.add('Mul', [ss!, g.constant(floatTensor('half', [1], [0.5]))]) as [string];
  } else {
    const [bv] = g.add('MatMul', [INPUT, g.constant(floatTensor(NAMES.visible, [V, 1], b))]);
    [visible] = g.add('Neg', [bv!]) as [string];
  }
  g.add('Sub', [visible, hidden!], {}, [OUTPUTS.anomaly]);
  const energy = visibleType === 'gaussian' ? '|x - b|^2 / 2 - Σ softplus(W x + c)' : '-b.x - Σ softplus(W x + c)';
  return finishDetectorGraph(g, 'RBM', state, V, `the free energy ${energy} (${visibleType} visible units)`, opts);
}

/** An RBM's record from a file vigil wrote (`meta` from its metadata). */
export function importRbm(r: GraphReader, meta: VigilDetectorMeta): DetectorRecord {
  const get = (name: string) => {
    if (!r.initializers.has(name)) throw new Error(`${r.what}: the RBM's initializer '${name}' is missing`);
    return r.floats(name);
  };
  const dims = r.initializers.get(NAMES.weights)?.dims ?? [];
  const wt = get(NAMES.weights);
  if (dims.length !== 2) throw new Error(`${r.what}: initializer '${NAMES.weights}' must be 2-D [features, hiddenUnits], got [${dims}]`);
  const [V, H] = dims as [number, number];
  const W = new Float32Array(V * H);
  for (let h = 0; h < H; h++) for (let v = 0; v < V; v++) W[h * V + v] = wt[v * H + h]!;
  const threshold = preferExact(meta.threshold, graphThreshold(r) ?? meta.threshold);
  return {
    type: 'RBM', config: meta.config, fitted: meta.fitted, threshold,
    weights: new Map([['W', W], ['b', get(NAMES.visible)], ['c', get(NAMES.hidden)]]),
  };
}
