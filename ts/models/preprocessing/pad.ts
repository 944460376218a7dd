// Keras' pad_sequences for integer token ids, returning the flat [n, maxlen] batch the LSTM
// bindings take plus each row's valid length, so a packed LSTM can skip the padding instead of
// running over it.

import { knownOptions, optionNames } from '../options.ts';

export type Side = 'pre' | 'post';

export interface PadOptions {
  /** Row length; default the longest sequence (as Keras). Must be >= 1 when given. */
  maxlen?: number;
  /** Where padding goes (default 'pre', as Keras). */
  padding?: Side;
  /** Which end of a too-long sequence is cut (default 'pre': keep the last maxlen, as Keras). */
  truncating?: Side;
  /** Padding id (default 0). */
  value?: number;
}

const OPTIONS = optionNames<PadOptions>()(['maxlen', 'padding', 'truncating', 'value']);

/** A padded batch: ids [batch, time] row-major with the valid length of each row. */
export interface PaddedBatch {
  /** Row-major [batch, time] ids. */
  tokens: Int32Array;
  /** Valid (unpadded) steps of each row after truncation, in [0, time]. */
  lengths: Int32Array;
  batch: number;
  time: number;
  /** The side the padding is on. */
  padding: Side;
}

function side(v: unknown, name: string): Side {
  if (v !== 'pre' && v !== 'post') throw new RangeError(`padSequences: ${name} must be 'pre' or 'post', got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Pads or truncates every sequence to `maxlen`. An empty sequence becomes a row of padding with
 * length 0 (Keras keeps such rows too); a model that needs at least one step must reject it.
 */
export function padSequences(sequences: ArrayLike<ArrayLike<number>>, options: PadOptions = {}): PaddedBatch {
  if (sequences === null || typeof sequences !== 'object' || typeof sequences.length !== 'number') {
    throw new TypeError('padSequences: sequences must be an array of integer sequences');
  }
  knownOptions('padSequences', options, OPTIONS);
  const padding = side(options.padding ?? 'pre', 'padding');
  const truncating = side(options.truncating ?? 'pre', 'truncating');
  const value = options.value ?? 0;
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw new RangeError(`padSequences: value must be a 32-bit integer, got ${value}`);
  }
  const n = sequences.length;
  let maxlen = options.maxlen;
  if (maxlen === undefined) {
    maxlen = 0;
    for (let r = 0; r < n; r++) maxlen = Math.max(maxlen, sequences[r]?.length ?? 0);
  } else if (!Number.isInteger(maxlen) || maxlen < 1) {
    throw new RangeError(`padSequences: maxlen must be a positive integer, got ${maxlen}`);
  }
  const tokens = new Int32Array(n * maxlen).fill(value);
  const lengths = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const s = sequences[r];
    if (s === null || typeof s !== 'object' || typeof s.length !== 'number') {
      throw new TypeError(`padSequences: sequence ${r} is not an array of integers`);
    }
    const len = Math.min(s.length, maxlen);
    const from = truncating === 'pre' ? s.length - len : 0;
    const to = r * maxlen + (padding === 'pre' ? maxlen - len : 0);
    for (let k = 0; k < len; k++) {
      const v = s[from + k];
      if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
        throw new RangeError(`padSequences: sequence ${r} holds ${v} at ${from + k}; ids must be 32-bit integers`);
      }
      tokens[to + k] = v;
    }
    lengths[r] = len;
  }
  return { tokens, lengths, batch: n, time: maxlen, padding };
}
