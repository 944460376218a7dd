// Seeded train/test splits over row indices, drawn from the project's Philox generator so a seed
// gives the same split on every machine and thread count.
//
// The seed protocol's "67/33 split, seed 42" (scikit-learn's train_test_split with
// random_state=42) cannot be reproduced row for row: scikit-learn permutes with NumPy's MT19937
// and, when stratifying, breaks allocation ties at random. This split follows the same rules for
// sizes (n_test = ceil(testSize * n), the rest trains; stratified class counts by largest
// remainder) with its own random order, so results match the protocol in distribution only.
import { randomUniform } from '../../bindings/random.ts';
import { knownOptions, optionNames } from '../options.ts';

export interface SplitOptions {
  /** Test share in (0, 1), or a row count >= 1 (default 0.25, as scikit-learn). */
  testSize?: number;
  /** Seed of the permutation, an integer in [0, 2^53) (default 0). */
  seed?: number;
  /** Class of each row: the test set then keeps each class's share (every class needs >= 2 rows). */
  stratify?: ArrayLike<number>;
  /** Shuffle before splitting (default true); false takes the last rows as the test set. */
  shuffle?: boolean;
}

const OPTIONS = optionNames<SplitOptions>()(['testSize', 'seed', 'stratify', 'shuffle']);

export interface Split {
  /** Row indices for training, in random order (ascending when shuffle is false). */
  train: Int32Array;
  /** Row indices for testing, in random order (ascending when shuffle is false). */
  test: Int32Array;
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates on 48-bit uniforms from Philox). */
export function permutation(n: number, seed: number, stream = 0): Int32Array {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 31) throw new RangeError(`permutation: n must be an integer in [0, 2^31), got ${n}`);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  if (n < 2) return p;
  // Two float32 draws carry 24 bits each; one alone would bias j for large n.
  const u = randomUniform(new Float32Array(2 * n), seed, stream);
  for (let i = n - 1; i > 0; i--) {
    const r = (u[2 * i] * 16777216 + u[2 * i + 1]) / 16777216;
    const j = Math.floor(r * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

function testCount(n: number, testSize: number): number {
  let nTest: number;
  if (Number.isInteger(testSize) && testSize >= 1) nTest = testSize;
  else if (testSize > 0 && testSize < 1) nTest = Math.ceil(testSize * n);
  else throw new RangeError(`trainTestSplit: testSize must be in (0, 1) or a positive integer, got ${testSize}`);
  if (nTest >= n) throw new RangeError(`trainTestSplit: testSize ${testSize} leaves no training rows out of ${n}`);
  return nTest;
}

// Test rows per class: floor of the proportional share, then the leftover rows to the largest
// remainders (ties to the larger class, then the smaller class value).
function allocate(counts: number[], n: number, nTest: number): number[] {
  const exact = counts.map((c) => (c * nTest) / n);
  const alloc = exact.map(Math.floor);
  let left = nTest - alloc.reduce((a, b) => a + b, 0);
  const order = counts.map((_, k) => k).sort((a, b) => exact[b] - alloc[b] - (exact[a] - alloc[a]) || counts[b] - counts[a] || a - b);
  for (const k of order) {
    if (left === 0) break;
    if (alloc[k] < counts[k]) {
      alloc[k]++;
      left--;
    }
  }
  return alloc;
}

/** Splits row indices 0..n-1 into train and test sets (see SplitOptions). */
export function trainTestSplit(n: number, options: SplitOptions = {}): Split {
  if (!Number.isInteger(n) || n < 2 || n >= 2 ** 31) throw new RangeError(`trainTestSplit: n must be an integer >= 2, got ${n}`);
  knownOptions('trainTestSplit', options, OPTIONS);
  const { testSize = 0.25, seed = 0, stratify, shuffle = true } = options;
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 53) {
    throw new RangeError(`trainTestSplit: seed must be an integer in [0, 2^53), got ${seed}`);
  }
  const nTest = testCount(n, testSize);
  if (!shuffle) {
    if (stratify !== undefined) throw new RangeError('trainTestSplit: stratify needs shuffle = true');
    const all = Int32Array.from({ length: n }, (_, i) => i);
    return { train: all.slice(0, n - nTest), test: all.slice(n - nTest) };
  }
  const perm = permutation(n, seed);
  if (stratify === undefined) return { train: perm.slice(nTest), test: perm.slice(0, nTest) };

  if (stratify === null || typeof stratify !== 'object' || stratify.length !== n) {
    throw new RangeError(`trainTestSplit: stratify must hold one class per row (${n}), got ${(stratify as ArrayLike<number> | null)?.length}`);
  }
  const values = new Set<number>();
  for (let i = 0; i < n; i++) {
    const v = stratify[i];
    if (!Number.isFinite(v)) throw new RangeError(`trainTestSplit: stratify[${i}] is ${v}; classes must be finite numbers`);
    values.add(v);
  }
  const classes = [...values].sort((a, b) => a - b);
  const classOf = new Map(classes.map((v, k) => [v, k]));
  const counts = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < n; i++) counts[classOf.get(stratify[i])!]++;
  const small = counts.findIndex((c) => c < 2);
  if (small >= 0) throw new RangeError(`trainTestSplit: class ${classes[small]} has only 1 row; stratifying needs at least 2 per class`);
  const need = allocate(counts, n, nTest);
  const train = new Int32Array(n - nTest);
  const test = new Int32Array(nTest);
  let a = 0;
  let b = 0;
  // Walking one random permutation picks a uniform subset of each class and leaves both sets shuffled.
  for (const i of perm) {
    const k = classOf.get(stratify[i])!;
    if (need[k] > 0) {
      need[k]--;
      test[b++] = i;
    } else {
      train[a++] = i;
    }
  }
  return { train, test };
}

/** The rows of `values` at `indices`, in that order. */
export function takeRows<T>(values: readonly T[], indices: ArrayLike<number>): T[];
export function takeRows(values: Int32Array, indices: ArrayLike<number>): Int32Array;
export function takeRows(values: Float32Array, indices: ArrayLike<number>): Float32Array;
export function takeRows<T>(values: readonly T[] | Int32Array | Float32Array, indices: ArrayLike<number>): T[] | Int32Array | Float32Array {
  const n = values.length;
  const check = (i: number): number => {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`takeRows: index ${i} is outside [0, ${n})`);
    return i;
  };
  if (values instanceof Int32Array || values instanceof Float32Array) {
    const out = new (values.constructor as Int32ArrayConstructor | Float32ArrayConstructor)(indices.length);
    for (let k = 0; k < indices.length; k++) out[k] = values[check(indices[k])];
    return out;
  }
  return Array.from({ length: indices.length }, (_, k) => (values as readonly T[])[check(indices[k])]);
}

export interface GroupSplitOptions {
  /** Test share of the groups in (0, 1), or a group count >= 1 (default 0.25). */
  testSize?: number;
  /** Seed of the permutation of groups, an integer in [0, 2^53) (default 0). */
  seed?: number;
  /**
   * Class of each row: the test set then keeps each class's share of groups. A group whose rows
   * have different classes counts as its largest class.
   */
  stratify?: ArrayLike<number>;
}

const GROUP_OPTIONS = optionNames<GroupSplitOptions>()(['testSize', 'seed', 'stratify']);

/**
 * Splits row indices 0..n-1 (n = groups.length) so that all rows of a group land on the same side:
 * a model is then tested only on groups it never saw a member of. Rows that are variants of one
 * item (the same request sent as GET and as POST) share a group. Whole groups are drawn as
 * trainTestSplit draws rows (same sizes and stratified allocation, over groups); each side lists
 * its groups in random order with a group's rows adjacent, in ascending row order, so a
 * validation split cut from the end of the training rows (fit's validationSplit) breaks at most
 * one group.
 */
export function groupTrainTestSplit(groups: ArrayLike<number>, options: GroupSplitOptions = {}): Split {
  if (groups === null || typeof groups !== 'object' || typeof groups.length !== 'number') {
    throw new TypeError('groupTrainTestSplit: groups must be an array of group ids, one per row');
  }
  knownOptions('groupTrainTestSplit', options, GROUP_OPTIONS);
  const n = groups.length;
  const { testSize = 0.25, seed = 0, stratify } = options;
  const ids = new Map<number, number>();
  const members: number[][] = [];
  for (let i = 0; i < n; i++) {
    const g = groups[i];
    if (!Number.isInteger(g)) throw new RangeError(`groupTrainTestSplit: groups[${i}] is ${g}; group ids must be integers`);
    let k = ids.get(g);
    if (k === undefined) {
      k = members.length;
      ids.set(g, k);
      members.push([]);
    }
    members[k].push(i);
  }
  if (stratify !== undefined && (stratify === null || typeof stratify !== 'object' || stratify.length !== n)) {
    throw new RangeError(`groupTrainTestSplit: stratify must hold one class per row (${n}), got ${(stratify as ArrayLike<number> | null)?.length}`);
  }
  let groupClass: number[] | undefined;
  if (stratify !== undefined) {
    groupClass = members.map((rows) => {
      let c = -Infinity;
      for (const i of rows) {
        const v = stratify[i];
        if (!Number.isFinite(v)) throw new RangeError(`groupTrainTestSplit: stratify[${i}] is ${v}; classes must be finite numbers`);
        if (v > c) c = v;
      }
      return c;
    });
  }
  if (members.length < 2) throw new RangeError(`groupTrainTestSplit: needs at least 2 groups, got ${members.length}`);
  const s = trainTestSplit(members.length, { testSize, seed, stratify: groupClass });
  const expand = (picked: Int32Array): Int32Array => {
    const out: number[] = [];
    for (const k of picked) out.push(...members[k]);
    return Int32Array.from(out);
  };
  return { train: expand(s.train), test: expand(s.test) };
}
