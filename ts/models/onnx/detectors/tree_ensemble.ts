// ai.onnx.ml TreeEnsembleRegressor nodes as binary trees, both ways. One canonical form, the one vigil's
// native forest walks: every split reads `x[feature] <= threshold ? left : right` with a float32
// threshold. Reading turns each ONNX mode into it exactly for float32 inputs (x < t is x <= the largest
// float32 below t; GT/GTE swap the children); writing emits BRANCH_LEQ nodes, as skl2onnx does.
import type { AttrValue } from '../build.ts';
import type { NodeProto } from '../proto.ts';
import { attr, attrFloats, attrInt, attrInts, attrString, attrStrings, type GraphReader } from '../read.ts';
import { nodeName, tensorValues } from './common.ts';

export type CanonicalNode =
  | { leaf: true; value: number }
  | { leaf: false; feature: number; threshold: number; left: number; right: number };

/** A binary tree; `nodes[root]` is its root and children are indices into `nodes`. */
export interface CanonicalTree {
  nodes: CanonicalNode[];
  root: number;
}

export interface ParsedEnsemble {
  trees: CanonicalTree[];
  aggregate: 'SUM' | 'AVERAGE' | 'MIN' | 'MAX';
  /** base_values[0], added to the aggregate (0 when absent). */
  base: number;
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
const FLT_MAX = 3.4028234663852886e38;
const MAX_DEPTH = 64;

/** The largest float32 <= t: for float32 x, x <= t iff x <= floorFloat32(t) (t finite). */
export function floorFloat32(t: number): number {
  const f = Math.fround(t);
  if (f <= t) return f === Infinity ? FLT_MAX : f;
  return belowFloat32(f);
}

/** The largest float32 < t, for t float32 and finite. */
function belowFloat32(t: number): number {
  if (t === 0) return -1.401298464324817e-45;
  f32[0] = t;
  i32[0] += t > 0 ? -1 : 1;
  return f32[0];
}

/** The largest float32 strictly below t: for float32 x, x < t iff x <= it. */
function strictlyBelowFloat32(t: number): number {
  const f = Math.fround(t);
  return f < t ? f : belowFloat32(f);
}

const MODES = new Set(['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ', 'LEAF']);

function required<T>(r: GraphReader, node: NodeProto, name: string, get: () => T[] | undefined): T[] {
  const v = get();
  if (v === undefined) throw new Error(`${r.what}: ${nodeName(node)} lacks attribute '${name}'`);
  return v;
}

/** A float list attribute or its double `_as_tensor` twin. */
function floatsOrTensor(r: GraphReader, node: NodeProto, name: string): number[] | undefined {
  if (attr(node, name)) return attrFloats(node, name, [], r.what);
  const t = attr(node, `${name}_as_tensor`)?.t;
  return t ? Array.from(tensorValues(t, r.what)) : undefined;
}

/**
 * Reads a TreeEnsembleRegressor with one target into canonical trees. Throws an Error naming the node
 * and the attribute for a missing attribute, arrays of unequal lengths, an unknown or unsupported mode
 * (BRANCH_EQ / BRANCH_NEQ), children or targets that point nowhere, a cycle, or a tree with no root.
 */
export function readTreeEnsemble(r: GraphReader, node: NodeProto): ParsedEnsemble {
  const what = `${r.what}: ${nodeName(node)}`;
  const ints = (name: string) => required(r, node, name, () => (attr(node, name) ? attrInts(node, name, [], r.what) : undefined));
  const treeIds = ints('nodes_treeids');
  const nodeIds = ints('nodes_nodeids');
  const featureIds = ints('nodes_featureids');
  const modes = required(r, node, 'nodes_modes', () => (attr(node, 'nodes_modes') ? attrStrings(node, 'nodes_modes', [], r.what) : undefined));
  const values = required(r, node, 'nodes_values', () => floatsOrTensor(r, node, 'nodes_values'));
  const trueIds = ints('nodes_truenodeids');
  const falseIds = ints('nodes_falsenodeids');
  const n = treeIds.length;
  for (const [name, a] of [['nodes_nodeids', nodeIds], ['nodes_featureids', featureIds], ['nodes_modes', modes], ['nodes_values', values],
    ['nodes_truenodeids', trueIds], ['nodes_falsenodeids', falseIds]] as const) {
    if (a.length !== n) throw new Error(`${what}: attribute '${name}' has ${a.length} entries, 'nodes_treeids' has ${n}`);
  }
  const tTree = ints('target_treeids');
  const tNode = ints('target_nodeids');
  const tIds = ints('target_ids');
  const tWeights = required(r, node, 'target_weights', () => floatsOrTensor(r, node, 'target_weights'));
  for (const [name, a] of [['target_nodeids', tNode], ['target_ids', tIds], ['target_weights', tWeights]] as const) {
    if (a.length !== tTree.length) throw new Error(`${what}: attribute '${name}' has ${a.length} entries, 'target_treeids' has ${tTree.length}`);
  }
  const nt = attrInt(node, 'n_targets', 1, r.what);
  if (nt !== 1) throw new Error(`${what}: n_targets is ${nt}; a detector's trees have one target`);
  if (tIds.some((t) => t !== 0)) throw new Error(`${what}: target_ids other than 0; a detector's trees have one target`);
  const post = attrString(node, 'post_transform', 'NONE', r.what);
  if (post !== 'NONE') throw new Error(`${what}: post_transform '${post}' is not supported (only NONE)`);
  const aggregate = attrString(node, 'aggregate_function', 'SUM', r.what);
  if (aggregate !== 'SUM' && aggregate !== 'AVERAGE' && aggregate !== 'MIN' && aggregate !== 'MAX') {
    throw new Error(`${what}: aggregate_function '${aggregate}' is not one of SUM, AVERAGE, MIN, MAX`);
  }
  const baseValues = floatsOrTensor(r, node, 'base_values') ?? [];
  if (baseValues.length > 1) throw new Error(`${what}: base_values has ${baseValues.length} entries, expected at most 1`);

  // Group the node tuples by tree, in the order trees first appear.
  const trees = new Map<number, Map<number, number>>();
  for (let k = 0; k < n; k++) {
    if (!MODES.has(modes[k]!)) throw new Error(`${what}: node ${nodeIds[k]} of tree ${treeIds[k]} has an unknown mode '${modes[k]}'`);
    let t = trees.get(treeIds[k]!);
    if (!t) trees.set(treeIds[k]!, (t = new Map()));
    if (t.has(nodeIds[k]!)) throw new Error(`${what}: node id ${nodeIds[k]} appears twice in tree ${treeIds[k]}`);
    t.set(nodeIds[k]!, k);
  }
  const leafValue = new Map<number, number>();
  for (let j = 0; j < tTree.length; j++) {
    const k = trees.get(tTree[j]!)?.get(tNode[j]!);
    if (k === undefined) throw new Error(`${what}: target ${j} points at node ${tNode[j]} of tree ${tTree[j]}, which does not exist`);
    if (modes[k] !== 'LEAF') throw new Error(`${what}: target ${j} points at node ${tNode[j]} of tree ${tTree[j]}, which is not a LEAF`);
    leafValue.set(k, (leafValue.get(k) ?? 0) + tWeights[j]!);
  }

  const out: CanonicalTree[] = [];
  for (const [treeId, ids] of trees) {
    const child = new Set<number>();
    for (const k of ids.values()) {
      if (modes[k] === 'LEAF') continue;
      for (const c of [trueIds[k]!, falseIds[k]!]) {
        if (!ids.has(c)) throw new Error(`${what}: node ${nodeIds[k]} of tree ${treeId} has child ${c}, which does not exist`);
        child.add(c);
      }
    }
    const roots = [...ids.keys()].filter((id) => !child.has(id));
    if (roots.length !== 1) throw new Error(`${what}: tree ${treeId} has ${roots.length} nodes no other node points at, expected one root`);
    const nodes: CanonicalNode[] = [];
    const index = new Map<number, number>();
    // Depth-first. A node met again on its own path is a cycle; met again elsewhere (a shared subtree)
    // it is reused. Depth is capped before the call stack is (no tree vigil can hold in its perfect
    // layout comes near the cap).
    const onPath = new Set<number>();
    const visit = (id: number, depth: number): number => {
      if (onPath.has(id)) throw new Error(`${what}: tree ${treeId} has a cycle through node ${id}`);
      if (depth > MAX_DEPTH) throw new Error(`${what}: tree ${treeId} is deeper than ${MAX_DEPTH} levels`);
      const seen = index.get(id);
      if (seen !== undefined) return seen;
      const k = ids.get(id)!;
      const mode = modes[k]!;
      const at = nodes.length;
      if (mode === 'LEAF') {
        nodes.push({ leaf: true, value: leafValue.get(k) ?? 0 });
        index.set(id, at);
        return at;
      }
      if (mode === 'BRANCH_EQ' || mode === 'BRANCH_NEQ') {
        throw new Error(`${what}: node ${id} of tree ${treeId} has mode ${mode}; vigil's trees split by order (BRANCH_LEQ, LT, GT, GTE)`);
      }
      const t = values[k]!;
      if (!Number.isFinite(t)) throw new Error(`${what}: node ${id} of tree ${treeId} has the threshold ${t}`);
      const feature = featureIds[k]!;
      if (!Number.isInteger(feature) || feature < 0) throw new Error(`${what}: node ${id} of tree ${treeId} has feature id ${feature}`);
      // x <= t, x < t: true goes left; x > t = !(x <= t), x >= t = !(x < t): true goes right.
      const strict = mode === 'BRANCH_LT' || mode === 'BRANCH_GTE';
      const threshold = strict ? strictlyBelowFloat32(t) : floorFloat32(t);
      const trueLeft = mode === 'BRANCH_LEQ' || mode === 'BRANCH_LT';
      nodes.push({ leaf: false, feature, threshold, left: -1, right: -1 });
      onPath.add(id);
      const a = visit(trueIds[k]!, depth + 1);
      const b = visit(falseIds[k]!, depth + 1);
      onPath.delete(id);
      index.set(id, at);
      nodes[at] = { leaf: false, feature, threshold, left: trueLeft ? a : b, right: trueLeft ? b : a };
      return at;
    };
    const root = visit(roots[0]!, 0);
    out.push({ nodes, root });
  }
  if (out.length === 0) throw new Error(`${what}: the ensemble has no trees`);
  return { trees: out, aggregate, base: baseValues[0] ?? 0 };
}

/** The depth of a canonical tree (a lone leaf: 0); memoised, as a read tree may share subtrees. */
export function treeDepth(t: CanonicalTree): number {
  const memo = new Map<number, number>();
  const depth = (i: number): number => {
    const known = memo.get(i);
    if (known !== undefined) return known;
    const n = t.nodes[i]!;
    const d = n.leaf ? 0 : 1 + Math.max(depth(n.left), depth(n.right));
    memo.set(i, d);
    return d;
  };
  return depth(t.root);
}

/**
 * TreeEnsembleRegressor attributes for canonical trees (one target, BRANCH_LEQ splits, node ids in
 * depth-first order from 0 per tree, as ONNX asks).
 */
export function treeEnsembleAttributes(trees: readonly CanonicalTree[], aggregate: 'SUM' | 'AVERAGE'): Record<string, AttrValue> {
  const treeIds: number[] = [], nodeIds: number[] = [], features: number[] = [], modes: string[] = [], values: number[] = [];
  const trueIds: number[] = [], falseIds: number[] = [];
  const tTree: number[] = [], tNode: number[] = [], tWeight: number[] = [];
  trees.forEach((t, treeId) => {
    let next = 0;
    const emit = (i: number): number => {
      const id = next++;
      const n = t.nodes[i]!;
      const at = treeIds.length;
      treeIds.push(treeId);
      nodeIds.push(id);
      if (n.leaf) {
        features.push(0); modes.push('LEAF'); values.push(0); trueIds.push(0); falseIds.push(0);
        tTree.push(treeId); tNode.push(id); tWeight.push(n.value);
        return id;
      }
      features.push(n.feature); modes.push('BRANCH_LEQ'); values.push(n.threshold); trueIds.push(0); falseIds.push(0);
      trueIds[at] = emit(n.left);
      falseIds[at] = emit(n.right);
      return id;
    };
    emit(t.root);
  });
  return {
    n_targets: { i: 1 },
    aggregate_function: { s: aggregate },
    post_transform: { s: 'NONE' },
    nodes_treeids: { ints: treeIds },
    nodes_nodeids: { ints: nodeIds },
    nodes_featureids: { ints: features },
    nodes_modes: { strings: modes },
    nodes_values: { floats: values },
    nodes_truenodeids: { ints: trueIds },
    nodes_falsenodeids: { ints: falseIds },
    target_treeids: { ints: tTree },
    target_nodeids: { ints: tNode },
    target_ids: { ints: tTree.map(() => 0) },
    target_weights: { floats: tWeight },
  };
}
