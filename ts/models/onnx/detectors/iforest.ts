// IsolationForest <-> ONNX.
//
// Export: one ai.onnx.ml TreeEnsembleRegressor over all trees (features indexed in the full row, so a
// tree's maxFeatures subset needs no Gather), leaves holding depth + c(leaf size), aggregate AVERAGE =
// E[h(x)]; then Div(c(maxSamples)) -> Neg -> Pow(2, .) = anomaly_score = 2^(-E[h]/c), which is minus
// scikit-learn's score_samples, and the shared tail (common.ts): scores = threshold - anomaly_score is
// scikit-learn's decision_function when threshold = -offset_.
//
// Import: that file back, or scikit-learn's IsolationForest as skl2onnx writes it: per tree a Gather of
// estimators_features_, a TreeEnsembleRegressor whose leaves hold their node id, and elementwise ops
// turning the id into depth + c(n) (run by elementwise.ts on every leaf), summed over trees, then
// Div(n_trees c(max_samples)) -> Neg -> Pow(2, .) -> Neg -> Add(-offset_). Either way the trees land in
// vigil's native forest (perfect binary trees of height ceil(log2 maxSamples), bindings/iforest.ts), and
// max_samples is read back from the normaliser c. What skl2onnx's graph does not say (bootstrap, the
// contamination, the seed) takes vigil's defaults: they matter only to a refit; the threshold is -offset_.
import { averagePathLength, createForest, forestHeight, type Forest } from '../../../bindings/iforest.ts';
import type { FittedDetectorState, JSONObject } from '../../detectors/detector.ts';
import { ML_DOMAIN } from '../build.ts';
import { floatTensor, type NodeProto } from '../proto.ts';
import type { GraphReader } from '../read.ts';
import {
  detectorBuilder, featureCount, finishDetectorGraph, INPUT, nodeName, numberOf, OUTPUTS, preferExact, scalarConstant, traceInput, weightOf,
  type DetectorExportOptions, type DetectorRecord, type VigilDetectorMeta,
} from './common.ts';
import { evaluateChain } from './elementwise.ts';
import { readTreeEnsemble, treeDepth, treeEnsembleAttributes, type CanonicalNode, type CanonicalTree } from './tree_ensemble.ts';

const FLT_MAX = 3.4028234663852886e38;

/** A forest's arrays as a fitted state holds them (feature indices as float32). */
interface ForestArrays {
  trees: number;
  height: number;
  feature: ArrayLike<number>;
  threshold: Float32Array;
  leafValue: Float32Array;
}

/** vigil's perfect-layout trees as canonical trees, each pass-through chain collapsed back into its leaf. */
function canonicalTrees(f: ForestArrays): CanonicalTree[] {
  const h = f.height;
  const inner = 2 ** h - 1;
  const out: CanonicalTree[] = [];
  for (let t = 0; t < f.trees; t++) {
    const F = (slot: number) => f.feature[t * inner + slot]!;
    const T = f.threshold.subarray(t * inner, (t + 1) * inner);
    const L = f.leafValue.subarray(t * (inner + 1), (t + 1) * (inner + 1));
    const nodes: CanonicalNode[] = [];
    const build = (slot: number, depth: number): number => {
      const at = nodes.length;
      if (depth === h) {
        nodes.push({ leaf: true, value: L[slot - inner]! });
        return at;
      }
      // The bottom-level leaves under `slot`: a pass-through (threshold FLT_MAX) over equal leaves is one leaf.
      const span = 2 ** (h - depth);
      const first = (slot + 1) * span - 1 - inner;
      const range = L.subarray(first, first + span);
      if (T[slot]! >= FLT_MAX && range.every((v) => v === range[0])) {
        nodes.push({ leaf: true, value: range[0]! });
        return at;
      }
      nodes.push({ leaf: false, feature: F(slot), threshold: T[slot]!, left: -1, right: -1 });
      const left = build(2 * slot + 1, depth + 1);
      const right = build(2 * slot + 2, depth + 1);
      nodes[at] = { leaf: false, feature: F(slot), threshold: T[slot]!, left, right };
      return at;
    };
    build(0, 0);
    out.push({ nodes, root: 0 });
  }
  return out;
}

/** A fitted IsolationForest's state (Detector.fittedState) as ONNX bytes. */
export function isolationForestToOnnx(state: FittedDetectorState, opts: DetectorExportOptions = {}): Uint8Array {
  // A hyperplane split is not a TreeEnsemble node (one feature against a threshold).
  const level = state.config.extensionLevel;
  if (typeof level === 'number' && level > 0) {
    throw new Error(`detectorToOnnx: this IsolationForest has extensionLevel ${level} (hyperplane splits), which ai.onnx.ml's ` +
      'TreeEnsembleRegressor cannot express (its nodes compare one feature with a threshold); only extensionLevel 0 forests export');
  }
  const maxSamples = numberOf(state.fitted, 'maxSamples');
  const f: ForestArrays = {
    trees: numberOf(state.fitted, 'trees'), height: numberOf(state.fitted, 'height'),
    feature: weightOf(state, 'feature'), threshold: weightOf(state, 'threshold'), leafValue: weightOf(state, 'leafValue'),
  };
  const c = averagePathLength(maxSamples);
  if (c === 0) {
    throw new RangeError('detectorToOnnx: this IsolationForest was grown on one row (c(maxSamples) = 0): its score is a constant 0.5 that ' +
      'scikit-learn\'s ONNX layout cannot express');
  }
  const g = detectorBuilder();
  const [pathLength] = g.add('TreeEnsembleRegressor', [INPUT], treeEnsembleAttributes(canonicalTrees(f), 'AVERAGE'), 1, ML_DOMAIN);
  const [ratio] = g.add('Div', [pathLength!, g.constant(floatTensor('average_path_length', [1], [c]))]);
  const [neg] = g.add('Neg', [ratio!]);
  g.add('Pow', [g.constant(floatTensor('two', [1], [2])), neg!], {}, [OUTPUTS.anomaly]);
  return finishDetectorGraph(g, 'IsolationForest', state, numberOf(state.fitted, 'features'),
    '2^(-E[h(x)] / c(maxSamples)), the mean path length E[h] over the trees normalised (minus scikit-learn\'s score_samples)', opts, { mlOutputs: [pathLength!] });
}

/** The scoring tail: Pow(2, Neg(Div(aggregate, C))) and the threshold after it. */
interface Tail {
  div: NodeProto;
  aggregate: string;
  divisor: number;
  threshold: number;
}

function findTail(r: GraphReader): Tail {
  const candidates: Tail[] = [];
  for (const pow of r.nodes) {
    if (pow.op_type !== 'Pow' || (pow.domain && pow.domain !== 'ai.onnx')) continue;
    const [base, exponent] = pow.input ?? [];
    if (!base || !r.isConstant(base) || (r.tensor(base).dims ?? []).some((d) => d !== 1) || scalarConstant(r, base, pow) !== 2) continue;
    const neg = r.producer.get(exponent ?? '');
    const div = neg?.op_type === 'Neg' ? r.producer.get(neg.input?.[0] ?? '') : undefined;
    if (div?.op_type !== 'Div' || !r.isConstant(div.input?.[1] ?? '')) continue;
    candidates.push({ div, aggregate: div.input![0]!, divisor: scalarConstant(r, div.input![1]!, div), threshold: thresholdAfter(r, pow) });
  }
  if (candidates.length !== 1) {
    throw new Error(`${r.what}: ${candidates.length === 0 ? 'no' : candidates.length} isolation-forest scoring tail${candidates.length > 1 ? 's' : ''} ` +
      '(Pow(2, -aggregate / constant)); vigil imports tree ensembles only as isolation forests, as skl2onnx or vigil write them');
  }
  return candidates[0]!;
}

/** The threshold on 2^(-E/c): skl2onnx's Add(Neg(s), -offset_) or vigil's Sub(threshold, s). */
function thresholdAfter(r: GraphReader, pow: NodeProto): number {
  const s = pow.output![0]!;
  for (const u of r.consumers.get(s) ?? []) {
    if (u.op_type === 'Sub' && u.input?.[1] === s && r.isConstant(u.input[0]!)) return scalarConstant(r, u.input[0]!, u);
    if (u.op_type !== 'Neg') continue;
    for (const v of r.consumers.get(u.output![0]!) ?? []) {
      const other = v.input?.find((i) => i !== u.output![0]);
      if (!other || !r.isConstant(other)) continue;
      if (v.op_type === 'Add') return scalarConstant(r, other, v);
      if (v.op_type === 'Sub' && v.input?.[0] === u.output![0]) return -scalarConstant(r, other, v);
    }
  }
  throw new Error(`${r.what}: ${nodeName(pow)} is not followed by a decision offset (Add(-score, offset) or Sub(threshold, score))`);
}

/** The n with c(n) nearest `c` (c is increasing in n); an Error when none is close: not scikit-learn's normaliser. */
function maxSamplesFor(r: GraphReader, c: number, hint: unknown): number {
  const close = (n: number) => Math.abs(averagePathLength(n) - c) <= 2e-6 * c;
  if (typeof hint === 'number' && Number.isInteger(hint) && hint >= 2 && close(hint)) return hint;
  if (!(c >= 1) || !Number.isFinite(c)) throw new Error(`${r.what}: the forest's path-length normaliser ${c} is not c(n) of any max_samples >= 2`);
  let lo = 2, hi = 2 ** 40;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (averagePathLength(mid) < c) lo = mid;
    else hi = mid;
  }
  const n = Math.abs(averagePathLength(lo) - c) <= Math.abs(averagePathLength(hi) - c) ? lo : hi;
  if (!close(n)) throw new Error(`${r.what}: the forest's path-length normaliser ${c} is not c(n) of any max_samples (nearest: c(${n}) = ${averagePathLength(n)})`);
  return n;
}

interface ImportedTrees {
  trees: CanonicalTree[];
  /** Per tree: the graph-input columns its features index, or null (all of them, in order). */
  columns: (number[] | null)[];
  /** Divisor of the mean path length: c(max_samples). */
  c: number;
}

/** Trees whose leaves hold the path length depth + c(n), from either layout. */
function importTrees(r: GraphReader, tail: Tail): ImportedTrees {
  const ensembles = r.nodes.filter((n) => n.op_type === 'TreeEnsembleRegressor' && n.domain === ML_DOMAIN);
  const producer = r.producer.get(tail.aggregate);
  const source = (n: NodeProto) => traceInput(r, n, n.input?.[0] ?? '').columns;
  if (producer?.op_type === 'TreeEnsembleRegressor' && producer.domain === ML_DOMAIN) {
    if (ensembles.length !== 1) throw new Error(`${r.what}: ${ensembles.length} TreeEnsembleRegressor nodes; the forest's scores read only ${nodeName(producer)}`);
    const e = readTreeEnsemble(r, producer);
    if ((e.aggregate === 'MIN' || e.aggregate === 'MAX') && e.trees.length > 1) {
      throw new Error(`${r.what}: ${nodeName(producer)} aggregates ${e.trees.length} trees by ${e.aggregate}; an isolation forest averages them`);
    }
    const n = e.trees.length;
    // Fold base_values into the leaves so that the mean over trees is the graph's aggregate (SUM: / n).
    const perTree = e.aggregate === 'SUM' ? e.base / n : e.base;
    const trees = e.trees.map((t) => mapLeaves(t, (v) => v + perTree));
    const columns = source(producer);
    return { trees, columns: trees.map(() => columns), c: e.aggregate === 'SUM' ? tail.divisor / n : tail.divisor };
  }
  if (producer?.op_type !== 'Sum') {
    throw new Error(`${r.what}: ${nodeName(tail.div)} divides '${tail.aggregate}', computed by ${producer ? nodeName(producer) : 'no node'}; ` +
      'expected a TreeEnsembleRegressor or the Sum of per-tree path lengths');
  }
  const parts = (producer.input ?? []).filter((i) => i !== '');
  if (ensembles.length !== parts.length) {
    throw new Error(`${r.what}: ${nodeName(producer)} adds ${parts.length} values but the graph has ${ensembles.length} TreeEnsembleRegressor nodes`);
  }
  const covered = new Set<string>();
  const trees: CanonicalTree[] = [];
  const columns: (number[] | null)[] = [];
  for (const en of ensembles) {
    const e = readTreeEnsemble(r, en);
    if (e.trees.length !== 1) throw new Error(`${r.what}: ${nodeName(en)} holds ${e.trees.length} trees; skl2onnx's layout has one per node`);
    const tree = e.trees[0]!;
    const leaves = tree.nodes.flatMap((nd, i) => (nd.leaf ? [i] : []));
    const raw = Float64Array.from(leaves, (i) => (tree.nodes[i] as { value: number }).value + e.base);
    const env = evaluateChain(r, en.output![0]!, raw, producer);
    const reached = parts.filter((p) => env.has(p));
    if (reached.length !== 1) throw new Error(`${r.what}: the values of ${nodeName(en)} reach ${reached.length} inputs of ${nodeName(producer)}, expected one`);
    if (covered.has(reached[0]!)) throw new Error(`${r.what}: two trees reach input '${reached[0]}' of ${nodeName(producer)}`);
    covered.add(reached[0]!);
    const depth = env.get(reached[0]!)!;
    const byLeaf = new Map(leaves.map((i, k) => [i, depth[k]!]));
    trees.push({ root: tree.root, nodes: tree.nodes.map((nd, i) => (nd.leaf ? { leaf: true, value: byLeaf.get(i)! } : nd)) });
    columns.push(source(en));
  }
  return { trees, columns, c: tail.divisor / ensembles.length };
}

function mapLeaves(t: CanonicalTree, f: (v: number) => number): CanonicalTree {
  return { root: t.root, nodes: t.nodes.map((n) => (n.leaf ? { leaf: true, value: f(n.value) } : n)) };
}

/** Leaf slots vigil's layout may take for an imported forest: 2^26 (three arrays of 256 MiB). */
const MAX_SLOTS = 2 ** 26;

/** Lays canonical trees out as vigil's perfect trees (leaves above the bottom become pass-through chains). */
function toForest(r: GraphReader, imp: ImportedTrees, maxSamples: number): { forest: Forest; features: number } {
  const slots = imp.trees.length * 2 ** forestHeight(maxSamples);
  if (slots > MAX_SLOTS) {
    throw new Error(`${r.what}: ${imp.trees.length} trees of height ${forestHeight(maxSamples)} (max_samples ${maxSamples}) take ${slots} leaf slots ` +
      `in vigil's perfect-tree layout, more than its limit of ${MAX_SLOTS} for an import`);
  }
  const forest = createForest(imp.trees.length, maxSamples);
  const h = forest.height;
  const inner = 2 ** h - 1;
  let needed = 1;
  imp.trees.forEach((t, k) => {
    const depth = treeDepth(t);
    if (depth > h) throw new Error(`${r.what}: tree ${k} is ${depth} levels deep, deeper than the height limit ${h} of max_samples ${maxSamples}`);
    const cols = imp.columns[k];
    const F = forest.feature.subarray(k * inner, (k + 1) * inner);
    const T = forest.threshold.subarray(k * inner, (k + 1) * inner);
    const L = forest.leafValue.subarray(k * (inner + 1), (k + 1) * (inner + 1));
    const place = (i: number, slot: number, d: number): void => {
      const n = t.nodes[i]!;
      if (n.leaf) {
        if (!Number.isFinite(n.value)) throw new Error(`${r.what}: tree ${k} has a leaf whose path length is ${n.value}`);
        if (d === h) {
          L[slot - inner] = n.value;
          return;
        }
        F[slot] = 0;
        T[slot] = FLT_MAX;
        place(i, 2 * slot + 1, d + 1);
        place(i, 2 * slot + 2, d + 1);
        return;
      }
      if (cols && n.feature >= cols.length) throw new Error(`${r.what}: tree ${k} splits on feature ${n.feature} of a ${cols.length}-column Gather`);
      const feature = cols ? cols[n.feature]! : n.feature;
      if (feature < 0 || feature >= 2 ** 24) throw new Error(`${r.what}: tree ${k} splits on column ${feature}`);
      needed = Math.max(needed, feature + 1);
      F[slot] = feature;
      T[slot] = n.threshold;
      place(n.left, 2 * slot + 1, d + 1);
      place(n.right, 2 * slot + 2, d + 1);
    };
    place(t.root, 0, 0);
    if (cols) for (const c of cols) needed = Math.max(needed, c + 1);
  });
  return { forest, features: featureCount(r, needed) };
}

/** An IsolationForest's record from a graph in either layout; `meta` is the state of a file vigil wrote. */
export function importIsolationForest(r: GraphReader, meta: VigilDetectorMeta | null): DetectorRecord {
  const tail = findTail(r);
  const imp = importTrees(r, tail);
  const maxSamples = maxSamplesFor(r, imp.c, meta?.fitted.maxSamples);
  const { forest, features } = toForest(r, imp, maxSamples);
  const subset = imp.columns[0]?.length ?? features;
  const config: JSONObject = meta?.config ?? {
    nEstimators: forest.trees, maxSamples, maxFeatures: subset < features ? (subset > 1 ? subset : subset / features) : 1, bootstrap: false, seed: 0,
  };
  return {
    type: 'IsolationForest',
    config,
    fitted: { features, maxSamples, height: forest.height, trees: forest.trees },
    weights: new Map([
      ['feature', Float32Array.from(forest.feature)],
      ['threshold', forest.threshold],
      ['leafValue', forest.leafValue],
    ]),
    threshold: preferExact(meta?.threshold, tail.threshold),
  };
}
