// Every public options bag rejects keys it does not know: a typo such as `{ batchsize: 32 }` would
// otherwise fall back to the default without a word, a wrong answer rather than an error. Each
// options type keeps its key names in one const array built with optionNames, which the compiler
// checks against the type both ways, so the check cannot drift from the documented options.

/**
 * `optionNames<T>()([...])`: the list as given, a compile error unless it names every key of T and
 * nothing else (curried so that T is given and the list's literal types are inferred).
 */
export function optionNames<T extends object>() {
  return <const A extends readonly (keyof T & string)[]>(
    names: A & ([Exclude<keyof T, A[number]>] extends [never] ? unknown : { missingOptionNames: Exclude<keyof T, A[number]> }),
  ): A => names;
}

/**
 * Throws `TypeError('fn: unknown option ...')` naming the first own key of `opts` not in `names`,
 * with the nearest known name when one is close, and all of them. `opts` undefined passes (the
 * defaults); anything else but a plain object is a TypeError.
 */
export function knownOptions(fn: string, opts: unknown, names: readonly string[]): void {
  if (opts === undefined) return;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new TypeError(`${fn}: options must be an object, got ${opts === null ? 'null' : Array.isArray(opts) ? 'an array' : typeof opts}`);
  }
  for (const key of Object.keys(opts)) {
    if (names.includes(key)) continue;
    const near = nearest(key, names);
    const hint = near === undefined ? '' : `did you mean '${near}'?; `;
    throw new TypeError(`${fn}: unknown option '${key}' (${hint}options: ${names.join(', ')})`);
  }
}

/** The known name a typo most likely meant: equal but for case, else within a small edit distance. */
function nearest(key: string, names: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = names.find((n) => n.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  // One edit for short names, two from 6 letters on: closer than that, suggestions turn into noise.
  let best: string | undefined;
  let bestDist = key.length < 6 ? 1 : 2;
  for (const n of names) {
    const d = editDistance(lower, n.toLowerCase());
    if (d <= bestDist && (best === undefined || d < bestDist)) [best, bestDist] = [n, d];
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions), one row at a time. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length];
}

/**
 * knownOptions for an async form that runs its sync twin on a worker: `names` are the twin's
 * options, `signal` is added. Checked here, so the error names the function the caller called;
 * anything but an object is left to the twin's own check, so that both forms reject it alike.
 */
export function knownAsyncOptions(fn: string, opts: unknown, names: readonly string[]): void {
  if (typeof opts === 'object' && opts !== null && !Array.isArray(opts)) knownOptions(fn, opts, [...names, 'signal']);
}
