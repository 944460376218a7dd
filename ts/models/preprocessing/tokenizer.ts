// Character tokenizer with the semantics of Keras' Tokenizer(char_level=True), so that a vocabulary
// built here numbers characters exactly as the source notebooks' did:
// - every text is lower-cased first (lower=true, Keras' default);
// - indices are 1-based (0 stays free for padding), by descending count over all fitted texts;
//   equal counts keep the order in which the characters were first seen (Keras sorts its
//   insertion-ordered counts with Python's stable sort; Array.prototype.sort is stable too);
// - an oovToken, when given, takes index 1 and the characters follow from 2;
// - with numWords, only indices below numWords are emitted; the others become the OOV index, or
//   are dropped when there is no oovToken;
// - an unseen character is dropped without an oovToken (as Keras does) and maps to the OOV
//   index with one.
// Keras ignores `filters` when char_level=True (the seed's filters='\t\n' removed nothing), so the
// default here is no filtering; pass `filters` to really drop characters before counting.
// Characters are Unicode code points, as Python iterates a str.

import { knownOptions, optionNames } from '../options.ts';

export interface CharTokenizerOptions {
  /** Keep only indices below numWords (Keras' num_words); null keeps all. */
  numWords?: number | null;
  /** Lower-case texts before counting and encoding (default true, as Keras). */
  lower?: boolean;
  /** Token for characters outside the vocabulary; takes index 1 (default none: they are dropped). */
  oovToken?: string | null;
  /** Characters removed before counting and encoding (default '': Keras' char-level behaviour). */
  filters?: string;
}

const OPTIONS = optionNames<CharTokenizerOptions>()(['numWords', 'lower', 'oovToken', 'filters']);

/** The tokenizer's state as plain JSON (see CharTokenizer.toJSON). */
export interface CharTokenizerJSON {
  type: 'CharTokenizer';
  version: number;
  config: { numWords: number | null; lower: boolean; oovToken: string | null; filters: string };
  documentCount: number;
  /** Counts in first-seen order (so further fitting continues as Keras would). */
  wordCounts: Array<[string, number]>;
  /** Token -> index, the vocabulary used for encoding. */
  wordIndex: Array<[string, number]>;
}

const FORMAT_VERSION = 1;

function checkTexts(fn: string, texts: Iterable<string>): void {
  if (texts === null || typeof texts !== 'object' || typeof (texts as Iterable<string>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`CharTokenizer.${fn}: texts must be an iterable of strings`);
  }
}

export class CharTokenizer {
  readonly numWords: number | null;
  readonly lower: boolean;
  readonly oovToken: string | null;
  readonly filters: string;
  /** Texts seen by fitOnTexts. */
  documentCount = 0;
  /** Character -> count over the fitted texts, in first-seen order. */
  readonly wordCounts = new Map<string, number>();
  /** Character (or the OOV token) -> index, 1-based. */
  wordIndex = new Map<string, number>();
  /** Index -> character (or the OOV token). */
  indexWord = new Map<number, string>();
  private readonly filterSet: Set<string>;

  constructor(options: CharTokenizerOptions = {}) {
    knownOptions('CharTokenizer', options, OPTIONS);
    const { numWords = null, lower = true, oovToken = null, filters = '' } = options;
    if (numWords !== null && (!Number.isInteger(numWords) || numWords < 1)) {
      throw new RangeError(`CharTokenizer: numWords must be a positive integer or null, got ${numWords}`);
    }
    if (typeof lower !== 'boolean') throw new TypeError(`CharTokenizer: lower must be a boolean, got ${typeof lower}`);
    if (oovToken !== null && (typeof oovToken !== 'string' || oovToken.length === 0)) {
      throw new TypeError(`CharTokenizer: oovToken must be a non-empty string or null, got ${String(oovToken)}`);
    }
    if (typeof filters !== 'string') throw new TypeError(`CharTokenizer: filters must be a string, got ${typeof filters}`);
    this.numWords = numWords;
    this.lower = lower;
    this.oovToken = oovToken;
    this.filters = filters;
    this.filterSet = new Set(filters);
  }

  /** Characters of `text` after lower-casing and filtering. */
  private chars(text: string, fn: string): string[] {
    if (typeof text !== 'string') throw new TypeError(`CharTokenizer.${fn}: every text must be a string, got ${typeof text}`);
    const s = this.lower ? text.toLowerCase() : text;
    const out: string[] = [];
    for (const c of s) if (!this.filterSet.has(c)) out.push(c);
    return out;
  }

  /** Adds the texts' characters to the counts and renumbers the vocabulary (Keras fit_on_texts). */
  fitOnTexts(texts: Iterable<string>): this {
    checkTexts('fitOnTexts', texts);
    for (const text of texts) {
      const chars = this.chars(text, 'fitOnTexts');
      this.documentCount++;
      for (const c of chars) this.wordCounts.set(c, (this.wordCounts.get(c) ?? 0) + 1);
    }
    const sorted = [...this.wordCounts.entries()].sort((a, b) => b[1] - a[1]);
    const vocab = this.oovToken === null ? [] : [this.oovToken];
    for (const [c] of sorted) vocab.push(c);
    // Built as Keras builds its dict: a later duplicate (a one-character oovToken that also occurs
    // in the texts) takes the later index.
    this.setIndex(vocab.map((w, k) => [w, k + 1]));
    return this;
  }

  private setIndex(entries: Array<[string, number]>): void {
    this.wordIndex = new Map(entries);
    this.indexWord = new Map([...this.wordIndex].map(([w, i]) => [i, w]));
  }

  /**
   * Ids an Embedding must accept: indices emitted are below this (Keras' len(word_index) + 1, or
   * numWords when that is smaller). 0 is the padding id.
   */
  get vocabSize(): number {
    // The largest index, not the map's size: a one-character oovToken that also occurs in the texts
    // takes its later index (see fitOnTexts), leaving the map one entry short of the indices used.
    let top = 0;
    for (const i of this.wordIndex.values()) top = Math.max(top, i);
    const all = top + 1;
    return this.numWords === null ? all : Math.min(all, this.numWords);
  }

  /** The OOV token's index, or null without one. */
  get oovIndex(): number | null {
    return this.oovToken === null ? null : (this.wordIndex.get(this.oovToken) ?? null);
  }

  /** Encodes each text (Keras texts_to_sequences); see the file comment for unseen characters. */
  textsToSequences(texts: Iterable<string>): Int32Array[] {
    checkTexts('textsToSequences', texts);
    const oov = this.oovIndex;
    const limit = this.numWords ?? Infinity;
    const out: Int32Array[] = [];
    for (const text of texts) {
      const chars = this.chars(text, 'textsToSequences');
      const seq = new Int32Array(chars.length);
      let n = 0;
      for (const c of chars) {
        const i = this.wordIndex.get(c);
        if (i !== undefined && i < limit) seq[n++] = i;
        else if (oov !== null) seq[n++] = oov;
      }
      out.push(n === seq.length ? seq : seq.slice(0, n));
    }
    return out;
  }

  /** Plain-JSON state, enough to rebuild the same tokenizer (it travels inside model files). */
  toJSON(): CharTokenizerJSON {
    return {
      type: 'CharTokenizer',
      version: FORMAT_VERSION,
      config: { numWords: this.numWords, lower: this.lower, oovToken: this.oovToken, filters: this.filters },
      documentCount: this.documentCount,
      wordCounts: [...this.wordCounts],
      wordIndex: [...this.wordIndex],
    };
  }

  /** Rebuilds a tokenizer from toJSON's output (or its JSON.parse), checking every field. */
  static fromJSON(json: unknown): CharTokenizer {
    const bad = (what: string): never => {
      throw new TypeError(`CharTokenizer.fromJSON: ${what}`);
    };
    if (json === null || typeof json !== 'object') bad('expected an object');
    const j = json as Partial<CharTokenizerJSON>;
    if (j.type !== 'CharTokenizer') bad(`type must be "CharTokenizer", got ${JSON.stringify(j.type)}`);
    if (typeof j.version !== 'number' || !Number.isInteger(j.version) || j.version < 1) bad(`bad version ${JSON.stringify(j.version)}`);
    if (j.version! > FORMAT_VERSION) {
      throw new RangeError(`CharTokenizer.fromJSON: format version ${j.version} is newer than this vigil reads (${FORMAT_VERSION})`);
    }
    if (j.config === null || typeof j.config !== 'object') bad('config missing');
    const t = new CharTokenizer(j.config);
    const pairs = (v: unknown, what: string): Array<[string, number]> => {
      if (!Array.isArray(v)) bad(`${what} must be an array of [string, number] pairs`);
      for (const p of v as unknown[]) {
        if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || !Number.isInteger(p[1]) || p[1] < 1) {
          bad(`${what} must hold [string, positive integer] pairs, got ${JSON.stringify(p)}`);
        }
      }
      return v as Array<[string, number]>;
    };
    const counts = pairs(j.wordCounts, 'wordCounts');
    const index = pairs(j.wordIndex, 'wordIndex');
    if (new Set(index.map((p) => p[1])).size !== index.length) bad('wordIndex repeats an index');
    if (!Number.isInteger(j.documentCount) || j.documentCount! < 0) bad(`bad documentCount ${JSON.stringify(j.documentCount)}`);
    t.documentCount = j.documentCount!;
    for (const [c, n] of counts) t.wordCounts.set(c, n);
    t.setIndex(index);
    return t;
  }
}
