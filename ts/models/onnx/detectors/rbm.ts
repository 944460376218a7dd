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
// An RbmEnsemble is its members' graphs side by side (initializers prefixed m0_, m1_, ...), averaged
// by Sum and a multiplication.
import type { FittedDetectorState } from '../../detectors/detector.ts';
import { floatTensor, int64Tensor } from '../proto.ts';
import type { GraphBuilder } from '../build.ts';
import type { GraphReader } from '../read.ts';
import {
  detectorBuilder, finishDetectorGraph, graphThreshold, INPUT, numberOf, OUTPUTS, preferExact, weightOf,
  type DetectorExportOptions, type DetectorRecord, type VigilDetectorMeta,
} from './common.ts';

const NAMES = { weights: 'W_t', hidden: 'hidden_bias', visible: 'visible_bias' } as const;

/** One RBM's parameters and score, as its fitted state gives them. */
interface RbmParts {
  V: number;
  H: number;
  W: Float32Array;
  b: Float32Array;
  c: Float32Array;
  visible: string;
  reconstruction: boolean;
}

/** What the file says anomaly_score is. */
function scoreMeaning(p: RbmParts): string {
  if (p.reconstruction) {
    const mean = p.visible === 'gaussian' ? 'b + p W' : 'sigmoid(b + p W)';
    return `the reconstruction error mean((x - ${mean})^2), p = sigmoid(W x + c) (${p.visible} visible units)`;
  }
  const energy = p.visible === 'gaussian' ? '|x - b|^2 / 2 - Σ softplus(W x + c)' : '-b.x - Σ softplus(W x + c)';
  return `the free energy ${energy} (${p.visible} visible units)`;
}

/**
 * Adds one RBM's score of INPUT, [N, 1], under `output` (a fresh name when omitted); its initializers
 * are named `prefix` + NAMES (+ 'W' for the reconstruction's second copy of the weights).
 */
function addRbmScore(g: GraphBuilder, p: RbmParts, prefix: string, output?: string): string {
  const { V, H, W, b, c } = p;
  const out = output === undefined ? 1 : [output];
  const wt = new Float32Array(V * H);
  for (let h = 0; h < H; h++) for (let v = 0; v < V; v++) wt[v * H + h] = W[h * V + v]!;
  const [z] = g.add('MatMul', [INPUT, g.constant(floatTensor(prefix + NAMES.weights, [V, H], wt))]);
  const [zc] = g.add('Add', [z!, g.constant(floatTensor(prefix + NAMES.hidden, [H], c))]);
  if (p.reconstruction) {
    const [pr] = g.add('Sigmoid', [zc!]);
    const [pw] = g.add('MatMul', [pr!, g.constant(floatTensor(`${prefix}W`, [H, V], W))]);
    let [r] = g.add('Add', [pw!, g.constant(floatTensor(prefix + NAMES.visible, [V], b))]);
    if (p.visible !== 'gaussian') [r] = g.add('Sigmoid', [r!]);
    const [d] = g.add('Sub', [INPUT, r!]);
    const [sq] = g.add('Mul', [d!, d!]);
    return g.add('ReduceMean', [sq!], { axes: { ints: [1] }, keepdims: { i: 1 } }, out)[0]!;
  }
  const axes = g.constant(int64Tensor('axes', [1], [1]));
  const [sp] = g.add('Softplus', [zc!]);
  const [hidden] = g.add('ReduceSum', [sp!, axes], { keepdims: { i: 1 } });
  let visible: string;
  if (p.visible === 'gaussian') {
    const [d] = g.add('Sub', [INPUT, g.constant(floatTensor(prefix + NAMES.visible, [V], b))]);
    const [sq] = g.add('Mul', [d!, d!]);
    const [ss] = g.add('ReduceSum', [sq!, axes], { keepdims: { i: 1 } });
    [visible] = g.add('Mul', [ss!, g.constant(floatTensor('half', [1], [0.5]))]) as [string];
  } else {
    const [bv] = g.add('MatMul', [INPUT, g.constant(floatTensor(prefix + NAMES.visible, [V, 1], b))]);
    [visible] = g.add('Neg', [bv!]) as [string];
  }
  return g.add('Sub', [visible, hidden!], {}, out)[0]!;
}

/** The parts of an RBM whose weights the state names W + suffix, b + suffix, c + suffix. */
function partsOf(state: FittedDetectorState, suffix = ''): RbmParts {
  const V = numberOf(state.fitted, 'features'), H = numberOf(state.config, 'hiddenUnits');
  return {
    V, H, W: weightOf(state, `W${suffix}`), b: weightOf(state, `b${suffix}`), c: weightOf(state, `c${suffix}`),
    visible: String(state.config.visible), reconstruction: state.config.scoring === 'reconstruction',
  };
}

/** A fitted RBM's state (Detector.fittedState) as ONNX bytes. */
export function rbmToOnnx(state: FittedDetectorState, opts: DetectorExportOptions = {}): Uint8Array {
  const p = partsOf(state);
  const g = detectorBuilder();
  addRbmScore(g, p, '', OUTPUTS.anomaly);
  return finishDetectorGraph(g, 'RBM', state, p.V, scoreMeaning(p), opts);
}

/**
 * A fitted RbmEnsemble's state as ONNX bytes: each member's score as rbmToOnnx builds it (its
 * initializers prefixed `m<i>_`), then Sum and a multiplication by 1 / members.
 */
export function rbmEnsembleToOnnx(state: FittedDetectorState, opts: DetectorExportOptions = {}): Uint8Array {
  const k = numberOf(state.config, 'members');
  const g = detectorBuilder();
  const parts = Array.from({ length: k }, (_, i) => partsOf(state, String(i)));
  const scores = parts.map((p, i) => addRbmScore(g, p, `m${i}_`));
  const [sum] = g.add('Sum', scores);
  g.add('Mul', [sum!, g.constant(floatTensor('inv_members', [1], [1 / k]))], {}, [OUTPUTS.anomaly]);
  return finishDetectorGraph(g, 'RbmEnsemble', state, parts[0]!.V, `the mean over ${k} RBMs of ${scoreMeaning(parts[0]!)}`, opts);
}

/** The W [H, V], b, c of the RBM whose initializers are named `prefix` + NAMES. */
function readRbm(r: GraphReader, prefix: string): { W: Float32Array; b: Float32Array; c: Float32Array } {
  const get = (name: string) => {
    if (!r.initializers.has(prefix + name)) throw new Error(`${r.what}: the RBM's initializer '${prefix + name}' is missing`);
    return r.floats(prefix + name);
  };
  const dims = r.initializers.get(prefix + NAMES.weights)?.dims ?? [];
  const wt = get(NAMES.weights);
  if (dims.length !== 2) throw new Error(`${r.what}: initializer '${prefix + NAMES.weights}' must be 2-D [features, hiddenUnits], got [${dims}]`);
  const [V, H] = dims as [number, number];
  const W = new Float32Array(V * H);
  for (let h = 0; h < H; h++) for (let v = 0; v < V; v++) W[h * V + v] = wt[v * H + h]!;
  return { W, b: get(NAMES.visible), c: get(NAMES.hidden) };
}

/** An RBM's record from a file vigil wrote (`meta` from its metadata). */
export function importRbm(r: GraphReader, meta: VigilDetectorMeta): DetectorRecord {
  const { W, b, c } = readRbm(r, '');
  const threshold = preferExact(meta.threshold, graphThreshold(r) ?? meta.threshold);
  return { type: 'RBM', config: meta.config, fitted: meta.fitted, threshold, weights: new Map([['W', W], ['b', b], ['c', c]]) };
}

/** An RbmEnsemble's record from a file vigil wrote. */
export function importRbmEnsemble(r: GraphReader, meta: VigilDetectorMeta): DetectorRecord {
  const k = meta.config.members;
  if (!Number.isInteger(k) || (k as number) < 1) throw new Error(`${r.what}: metadata config.members must be a positive integer, got ${JSON.stringify(k)}`);
  const weights = new Map<string, Float32Array>();
  for (let i = 0; i < (k as number); i++) {
    const { W, b, c } = readRbm(r, `m${i}_`);
    weights.set(`W${i}`, W).set(`b${i}`, b).set(`c${i}`, c);
  }
  const threshold = preferExact(meta.threshold, graphThreshold(r) ?? meta.threshold);
  return { type: 'RbmEnsemble', config: meta.config, fitted: meta.fitted, threshold, weights };
}
