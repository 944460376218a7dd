// vigil's model file: one file holds a model's architecture, compile settings, preprocessing state
// and float32 weights. Layout (integers little-endian):
//
//   offset  bytes  content
//   0       8      magic "VIGILMDL"
//   8       4      u32 format version (FORMAT_VERSION)
//   12      4      u32 header length H, in bytes
//   16      8      u64 weight section length W, in bytes
//   24      H      header: UTF-8 JSON (ModelFileHeader)
//   24+H    0..3   zero bytes, so that the weight section starts at a multiple of 4
//   S       W      weights: raw float32 little-endian; weight i at S + header.weights[i].offset
//   S+W     4      u32 CRC-32 (zlib's polynomial) of every byte before it
//
// W sits in the preamble so that a short file is reported as truncated before anything is parsed.
// The format version comes before the checksum check so that a file from a newer vigil (whose
// layout after the preamble may differ) says "upgrade" rather than "corrupted".
//
// Optimizer state (Adam's moments, the step count) is not saved: a loaded model is compiled with
// the saved loss, optimizer settings and metrics and starts a fresh optimizer state, as Keras'
// load_model does for a model saved without its optimizer weights.
import { readFile } from 'node:fs/promises';
import * as zlib from 'node:zlib';
import { FileWriteError, writeFileAtomic } from '../io/atomic.ts';
import type { AtomicWriteHooks } from '../io/atomic.ts';
import { vigilVersion } from '../version.ts';
import { CharTokenizer } from './preprocessing/tokenizer.ts';
import type { CharTokenizerJSON } from './preprocessing/tokenizer.ts';
import { TabularPipeline } from './preprocessing/tabular_pipeline.ts';
import type { TabularPipelineJSON } from './preprocessing/tabular_pipeline.ts';
import { padSequences } from './preprocessing/pad.ts';
import type { Side } from './preprocessing/pad.ts';
import { layerFromConfig } from './layers/registry.ts';
import type { ConfigValue, Layer, LayerConfig, Shape } from './layers/layer.ts';
import type { LossName } from './losses.ts';
import { knownOptions, optionNames } from './options.ts';
import { Adam, Nadam, RMSprop, SGD } from './optimizers.ts';
import type { Optimizer, OptimizerName } from './optimizers.ts';
import { sizeOf, tensor } from './tensor.ts';
import type { CompileOptions, ModelInput, Sequential, SequentialOptions } from './sequential.ts';

export const MAGIC = 'VIGILMDL';
/** The newest format this vigil writes and reads. */
export const FORMAT_VERSION = 1;
const PREAMBLE = 24;
const TRAILER = 4;

// ---------------------------------------------------------------------------------------------
// Types

export interface LayerJSON {
  className: string;
  /** The name Sequential gave the layer (informative: loading renames layers the same way). */
  name: string;
  config: LayerConfig;
}

export interface SequentialJSON {
  name: string;
  seed: number;
  /** Input shape without the batch axis (null: a time axis known only from the data). */
  inputShape: Shape;
  layers: LayerJSON[];
}

/** A functional Model's architecture: its inputs, its layers (each once) and the applications wiring them. */
export interface FunctionalJSON {
  name: string;
  seed: number;
  inputs: { name: string; shape: Shape; dtype: 'float32' | 'int32' }[];
  layers: LayerJSON[];
  /** In order: layer index, and the value slots read (0..inputs-1 the inputs, inputs + i node i's output). The last node is the output. */
  nodes: { layer: number; reads: number[] }[];
}

export interface OptimizerJSON {
  name: OptimizerName;
  /** Every hyper-parameter (learningRate, beta1, ...), defaults included. */
  config: { [key: string]: number | boolean };
}

export interface CompileJSON {
  loss: { name: LossName; fromLogits: boolean };
  /** null: the model was compiled with an optimizer object vigil cannot describe. */
  optimizer: OptimizerJSON | null;
  metrics: string[];
}

export interface WeightEntry {
  /** `<layer name>/<weight name>`, e.g. "lstm/recurrent_kernel". */
  name: string;
  shape: number[];
  dtype: 'float32';
  /** Byte offset from the start of the weight section (a multiple of 4). */
  offset: number;
}

/** padSequences settings a model's inputs were made with. */
export interface PadConfig {
  /** Row length; null pads to the longest text of each call. */
  maxlen: number | null;
  padding: Side;
  truncating: Side;
  value: number;
}

export interface PreprocessingJSON {
  tokenizer: CharTokenizerJSON | null;
  pad: PadConfig | null;
  /** Raw table rows -> features (a detector's); absent in files without one. */
  table?: TabularPipelineJSON | null;
  /** Free-form JSON the caller attached (label names, the experiment, ...). */
  extra: { [key: string]: ConfigValue } | null;
}

export interface ModelFileHeader {
  formatVersion: number;
  /** The vigil version (package.json) that wrote the file. */
  vigilVersion: string;
  /** 'sequential', or a detector's type (detectors/detector.ts). */
  modelType: string;
  model: SequentialJSON | FunctionalJSON | DetectorJSON;
  /** null: the model was not compiled. */
  compile: CompileJSON | null;
  weights: WeightEntry[];
  preprocessing: PreprocessingJSON | null;
}

/** A detector's model section: its constructor options, fitted values and threshold. */
export interface DetectorJSON {
  config: { [key: string]: ConfigValue };
  fitted: { [key: string]: ConfigValue };
  threshold: number;
}

/** One weight to write: its name, shape and values. */
export interface WeightRecord {
  name: string;
  shape: readonly number[];
  value: Float32Array;
}

export type ModelFileProblem =
  | 'io' | 'not-a-model' | 'newer-version' | 'truncated' | 'corrupted' | 'bad-header' | 'wrong-model-type'
  | 'unknown-layer' | 'bad-config' | 'weight-mismatch';

/** Any failure to save or load a model file; the message names the path and says what is wrong. */
export class ModelFileError extends Error {
  readonly path: string;
  readonly problem: ModelFileProblem;
  /** The message without the path (the CLI names the flag that gave the path instead). */
  readonly detail: string;

  constructor(path: string, problem: ModelFileProblem, message: string, cause?: unknown) {
    super(`model file '${path}': ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'ModelFileError';
    this.path = path;
    this.problem = problem;
    this.detail = message;
  }
}

// ---------------------------------------------------------------------------------------------
// Preprocessing that travels with a model

/** What save() accepts as preprocessing: live objects or their JSON. */
export interface SavePreprocessing {
  tokenizer?: CharTokenizer | CharTokenizerJSON | null;
  /** A fitted TabularPipeline (raw CSV rows -> features). */
  table?: TabularPipeline | TabularPipelineJSON | null;
  /** padSequences options; maxlen omitted or null pads each call to its longest text. */
  pad?: { maxlen?: number | null; padding?: Side; truncating?: Side; value?: number } | null;
  extra?: { [key: string]: ConfigValue } | null;
}

const PREPROCESSING_OPTIONS = optionNames<SavePreprocessing>()(['tokenizer', 'table', 'pad', 'extra']);
const PAD_OPTIONS = optionNames<NonNullable<SavePreprocessing['pad']>>()(['maxlen', 'padding', 'truncating', 'value']);

/** The preprocessing state of a loaded model: turns raw strings (or table rows) into the model's input. */
export class Preprocessing {
  readonly tokenizer: CharTokenizer | null;
  readonly pad: PadConfig | null;
  readonly table: TabularPipeline | null;
  readonly extra: { [key: string]: ConfigValue } | null;

  constructor(opts: SavePreprocessing = {}) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('Preprocessing: options must be an object');
    knownOptions('Preprocessing', opts, PREPROCESSING_OPTIONS);
    const t = opts.tokenizer ?? null;
    this.tokenizer = t === null || t instanceof CharTokenizer ? t : CharTokenizer.fromJSON(t);
    const tb = opts.table ?? null;
    this.table = tb === null || tb instanceof TabularPipeline ? tb : TabularPipeline.fromJSON(tb);
    this.pad = opts.pad == null ? null : padConfig(opts.pad);
    this.extra = opts.extra == null ? null : jsonObject(opts.extra);
  }

  /**
   * Token ids for raw strings, ready for predict(): tokenized, padded as configured, with each
   * row's valid length when padding is 'pre' (the side Sequential's lengths refer to).
   */
  encode(texts: Iterable<string>): ModelInput {
    if (!this.tokenizer) throw new TypeError('Preprocessing.encode: no tokenizer was saved with this model');
    const p = this.pad;
    const padded = padSequences(this.tokenizer.textsToSequences(texts), {
      ...(p?.maxlen == null ? {} : { maxlen: p.maxlen }),
      padding: p?.padding ?? 'pre',
      truncating: p?.truncating ?? 'pre',
      value: p?.value ?? 0,
    });
    const tokens = tensor(padded.tokens, [padded.batch, padded.time]);
    return padded.padding === 'pre' ? { tokens, lengths: padded.lengths } : tokens;
  }

  toJSON(): PreprocessingJSON {
    return {
      tokenizer: this.tokenizer?.toJSON() ?? null, pad: this.pad && { ...this.pad },
      ...(this.table ? { table: this.table.toJSON() } : {}),
      extra: this.extra,
    };
  }
}

function padConfig(p: NonNullable<SavePreprocessing['pad']>): PadConfig {
  if (typeof p !== 'object') throw new TypeError('preprocessing.pad must be an object { maxlen, padding, truncating, value }');
  knownOptions('preprocessing.pad', p, PAD_OPTIONS);
  const side = (v: unknown, name: string): Side => {
    if (v !== 'pre' && v !== 'post') throw new RangeError(`preprocessing.pad.${name} must be 'pre' or 'post', got ${JSON.stringify(v)}`);
    return v;
  };
  const maxlen = p.maxlen ?? null;
  if (maxlen !== null && (!Number.isInteger(maxlen) || maxlen < 1)) {
    throw new RangeError(`preprocessing.pad.maxlen must be a positive integer or null, got ${maxlen}`);
  }
  const value = p.value ?? 0;
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw new RangeError(`preprocessing.pad.value must be a 32-bit integer, got ${value}`);
  }
  return { maxlen, padding: side(p.padding ?? 'pre', 'padding'), truncating: side(p.truncating ?? 'pre', 'truncating'), value };
}

function jsonObject(v: unknown): { [key: string]: ConfigValue } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError('preprocessing.extra must be a plain JSON object');
  let text: string;
  try {
    text = JSON.stringify(v);
  } catch (err) {
    throw new TypeError(`preprocessing.extra must be JSON-serialisable: ${(err as Error).message}`);
  }
  return JSON.parse(text) as { [key: string]: ConfigValue };
}

function preprocessingFromJSON(j: unknown): Preprocessing {
  if (typeof j !== 'object' || j === null) throw new TypeError('preprocessing must be an object');
  const o = j as Partial<PreprocessingJSON>;
  return new Preprocessing({ tokenizer: o.tokenizer ?? null, pad: o.pad ?? null, table: o.table ?? null, extra: o.extra ?? null });
}

/** A model file's preprocessing section, checked (null when the file has none). */
export function decodePreprocessing(file: DecodedModelFile, path: string): Preprocessing | null {
  const p = file.header.preprocessing;
  if (p === null || p === undefined) return null;
  try {
    return preprocessingFromJSON(p);
  } catch (err) {
    throw new ModelFileError(path, 'bad-header', `bad preprocessing: ${(err as Error).message}`, err);
  }
}

// ---------------------------------------------------------------------------------------------
// Checksum and version

type Crc = (data: Uint8Array) => number;
const zlibCrc = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
let table: Uint32Array | null = null;

/** Table CRC-32 for Node versions before 20.15 (which lack zlib.crc32); same polynomial. */
export const crc32Portable: Crc = (data) => {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

const crc32: Crc = zlibCrc ? (d) => zlibCrc(d) >>> 0 : crc32Portable;

// ---------------------------------------------------------------------------------------------
// Bytes

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function putFloats(out: Uint8Array, at: number, v: Float32Array): void {
  if (LITTLE) {
    out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), at);
    return;
  }
  const dv = new DataView(out.buffer, out.byteOffset);
  for (let i = 0; i < v.length; i++) dv.setFloat32(at + 4 * i, v[i], true);
}

function getFloats(bytes: Uint8Array, at: number, n: number): Float32Array {
  const v = new Float32Array(n);
  if (LITTLE) {
    new Uint8Array(v.buffer).set(bytes.subarray(at, at + 4 * n));
    return v;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  for (let i = 0; i < n; i++) v[i] = dv.getFloat32(at + 4 * i, true);
  return v;
}

const align4 = (n: number) => (n + 3) & ~3;

/** The file's bytes: `header` (its weights table and versions filled in here) and the weights. */
export function encodeModelFile(
  header: Omit<ModelFileHeader, 'formatVersion' | 'vigilVersion' | 'weights'> & { vigilVersion?: string },
  weights: readonly WeightRecord[],
): Uint8Array {
  let offset = 0;
  const entries: WeightEntry[] = weights.map((w) => {
    if (sizeOf(w.shape) !== w.value.length) throw new RangeError(`weight ${w.name}: shape [${w.shape.join(', ')}] does not match ${w.value.length} values`);
    const e: WeightEntry = { name: w.name, shape: [...w.shape], dtype: 'float32', offset };
    offset += w.value.byteLength;
    return e;
  });
  const full: ModelFileHeader = {
    formatVersion: FORMAT_VERSION,
    vigilVersion: header.vigilVersion ?? vigilVersion(),
    modelType: header.modelType,
    model: header.model,
    compile: header.compile,
    weights: entries,
    preprocessing: header.preprocessing,
  };
  const json = new TextEncoder().encode(JSON.stringify(full));
  const start = align4(PREAMBLE + json.length);
  const total = start + offset + TRAILER;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  dv.setUint32(8, FORMAT_VERSION, true);
  dv.setUint32(12, json.length, true);
  dv.setBigUint64(16, BigInt(offset), true);
  out.set(json, PREAMBLE);
  weights.forEach((w, i) => putFloats(out, start + entries[i].offset, w.value));
  dv.setUint32(total - TRAILER, crc32(out.subarray(0, total - TRAILER)), true);
  return out;
}

export interface DecodedModelFile {
  header: ModelFileHeader;
  /** The weights in header.weights order. */
  weights: Float32Array[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isDims = (v: unknown): v is number[] => Array.isArray(v) && v.every((d) => Number.isInteger(d) && d >= 0);

/** Parses and checks a model file's bytes (any model type); `path` only names the file in errors. */
export function decodeModelFile(bytes: Uint8Array, path: string): DecodedModelFile {
  const fail = (problem: ModelFileProblem, message: string, cause?: unknown): never => {
    throw new ModelFileError(path, problem, message, cause);
  };
  const n = bytes.length;
  if (n === 0) fail('not-a-model', 'the file is empty (0 bytes): not a vigil model file');
  const magic = new TextEncoder().encode(MAGIC);
  for (let i = 0; i < Math.min(n, magic.length); i++) {
    if (bytes[i] !== magic[i]) fail('not-a-model', `not a vigil model file (it does not start with "${MAGIC}")`);
  }
  if (n < PREAMBLE) fail('truncated', `the file is truncated: ${n} bytes, shorter than the ${PREAMBLE}-byte preamble`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, n);
  const fileVersion = dv.getUint32(8, true);
  const H = dv.getUint32(12, true);
  const W = dv.getBigUint64(16, true);
  if (fileVersion > FORMAT_VERSION) {
    // The header may still say which vigil wrote it; a best effort for the message only.
    let by = '';
    try {
      const v = JSON.parse(new TextDecoder().decode(bytes.subarray(PREAMBLE, PREAMBLE + H))).vigilVersion;
      if (typeof v === 'string') by = ` (written by vigil ${v})`;
    } catch {
      // not readable: say nothing about the writer
    }
    fail('newer-version', `format version ${fileVersion}${by} is newer than this vigil ${vigilVersion()} reads ` +
      `(up to ${FORMAT_VERSION}): upgrade vigil to load this model`);
  }
  if (fileVersion === 0) fail('corrupted', 'format version 0 does not exist: the file is corrupted');
  if (W > BigInt(Number.MAX_SAFE_INTEGER) || W % 4n !== 0n) fail('corrupted', `bad weight section length ${W}: the file is corrupted`);
  const start = align4(PREAMBLE + H);
  const expected = start + Number(W) + TRAILER;
  if (n < expected) fail('truncated', `the file is truncated: ${n} bytes of the ${expected} its preamble announces`);
  if (n > expected) fail('corrupted', `${n - expected} unexpected bytes after the end of the model (${expected} bytes): the file is corrupted`);
  const stored = dv.getUint32(n - TRAILER, true);
  const actual = crc32(bytes.subarray(0, n - TRAILER));
  if (stored !== actual) {
    fail('corrupted', `checksum mismatch (stored CRC-32 ${stored.toString(16).padStart(8, '0')}, computed ` +
      `${actual.toString(16).padStart(8, '0')}): the file is corrupted`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE, PREAMBLE + H)));
  } catch (err) {
    fail('bad-header', `the header is not valid JSON: ${(err as Error).message}`, err);
  }
  const bad = (what: string): never => fail('bad-header', `bad header: ${what}`);
  if (!isObject(header)) return bad('expected a JSON object');
  if (header.formatVersion !== fileVersion) bad(`formatVersion ${JSON.stringify(header.formatVersion)} differs from the preamble's ${fileVersion}`);
  if (typeof header.modelType !== 'string') bad('modelType must be a string');
  if (!Array.isArray(header.weights)) return bad('weights must be an array');
  let end = 0;
  const weights = header.weights.map((e: unknown, i: number) => {
    if (!isObject(e) || typeof e.name !== 'string' || !isDims(e.shape) || e.dtype !== 'float32' || !Number.isInteger(e.offset)) {
      return bad(`weights[${i}] must be { name, shape, dtype: 'float32', offset }, got ${JSON.stringify(e)}`);
    }
    const at = e.offset as number;
    const bytesLong = 4 * sizeOf(e.shape);
    if (at % 4 !== 0 || at < end || at + bytesLong > Number(W)) {
      bad(`weights[${i}] (${e.name}) at byte ${at} (+${bytesLong}) is misaligned, overlaps or lies outside the ${W}-byte weight section`);
    }
    end = at + bytesLong;
    return getFloats(bytes, start + at, sizeOf(e.shape));
  });
  return { header: header as unknown as ModelFileHeader, weights };
}

// ---------------------------------------------------------------------------------------------
// Files

/**
 * Writes a model file's bytes to `path` atomically (io/atomic.ts: temporary file, fsync, rename).
 * On any failure an existing file at `path` is left as it was and a ModelFileError naming the path
 * is thrown.
 */
export async function saveModelFile(path: string, data: Uint8Array, hooks: AtomicWriteHooks = {}): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('save: path must be a non-empty string');
  try {
    await writeFileAtomic(path, data, hooks);
  } catch (err) {
    if (!(err instanceof FileWriteError)) throw err;
    throw new ModelFileError(path, 'io', `cannot save the model: ${err.reason}`, err.cause);
  }
}

/** Reads and checks a model file of any type. */
export async function readModelFile(path: string): Promise<DecodedModelFile> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('load: path must be a non-empty string');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new ModelFileError(path, 'io', `cannot read the file: ${(err as Error).message}`, err);
  }
  return decodeModelFile(bytes, path);
}

// ---------------------------------------------------------------------------------------------
// Detectors

/** A detector file's contents, checked: what a detector factory rebuilds the detector from. */
export interface DetectorFileState extends DetectorJSON {
  weights: Map<string, Float32Array>;
}

export function decodeDetectorState(file: DecodedModelFile, path: string): DetectorFileState {
  const bad = (what: string): never => {
    throw new ModelFileError(path, 'bad-header', `bad header: ${what}`);
  };
  const m = file.header.model as unknown;
  if (!isObject(m)) return bad('model must be an object');
  if (!isObject(m.config)) bad('model.config must be an object');
  if (!isObject(m.fitted)) bad('model.fitted must be an object');
  if (typeof m.threshold !== 'number' || !Number.isFinite(m.threshold)) bad(`model.threshold must be a finite number, got ${JSON.stringify(m.threshold)}`);
  const weights = new Map<string, Float32Array>();
  file.header.weights.forEach((w, i) => {
    if (weights.has(w.name)) bad(`weight '${w.name}' appears twice`);
    weights.set(w.name, file.weights[i]);
  });
  const j = m as unknown as DetectorJSON;
  return { config: j.config, fitted: j.fitted, threshold: j.threshold, weights };
}

// ---------------------------------------------------------------------------------------------
// Sequential models

/** What Sequential.load resolves to. */
export interface LoadedModel {
  model: Sequential;
  /** The preprocessing saved with the model, or null when none was. */
  preprocessing: Preprocessing | null;
}

export interface SaveOptions {
  /** Tokenizer, padSequences settings and free-form JSON to store beside the model. */
  preprocessing?: Preprocessing | SavePreprocessing | null;
}

export const SAVE_OPTIONS = optionNames<SaveOptions>()(['preprocessing']);

const OPTIMIZERS: Array<[OptimizerName, new () => Optimizer]> = [['adam', Adam], ['rmsprop', RMSprop], ['nadam', Nadam], ['sgd', SGD]];

/** The optimizer's name and settings, or null for an optimizer object vigil does not know. */
export function describeOptimizer(opt: Optimizer): OptimizerJSON | null {
  const hit = OPTIMIZERS.find(([, cls]) => opt instanceof cls);
  if (!hit) return null;
  // The current learning rate (a callback may have lowered it), as Keras saves it.
  return { name: hit[0], config: { ...(opt as Optimizer & { config: OptimizerJSON['config'] }).config, learningRate: opt.learningRate } };
}

/** The preprocessing JSON to store, checked before anything is written. */
export function preprocessingToJSON(p: SaveOptions['preprocessing']): PreprocessingJSON | null {
  if (p === undefined || p === null) return null;
  return (p instanceof Preprocessing ? p : new Preprocessing(p)).toJSON();
}

/** A Sequential model's file bytes. */
export function encodeSequential(model: SequentialJSON, compile: CompileJSON | null, weights: readonly WeightRecord[],
  preprocessing: PreprocessingJSON | null): Uint8Array {
  return encodeModelFile({ modelType: 'sequential', model, compile, preprocessing }, weights);
}

function checkModelSection(m: unknown, bad: (what: string) => never): SequentialJSON {
  if (!isObject(m)) return bad('model must be an object');
  if (typeof m.name !== 'string') bad('model.name must be a string');
  if (!Number.isInteger(m.seed) || (m.seed as number) < 0) bad(`model.seed must be a non-negative integer, got ${JSON.stringify(m.seed)}`);
  if (!Array.isArray(m.inputShape) || !m.inputShape.every((d) => d === null || (Number.isInteger(d) && d > 0))) {
    bad(`model.inputShape must hold positive integers or null, got ${JSON.stringify(m.inputShape)}`);
  }
  if (!Array.isArray(m.layers) || m.layers.length === 0) return bad('model.layers must be a non-empty array');
  m.layers.forEach((l, i) => {
    if (!isObject(l) || typeof l.className !== 'string' || typeof l.name !== 'string' || !isObject(l.config)) {
      bad(`model.layers[${i}] must be { className, name, config }, got ${JSON.stringify(l)}`);
    }
  });
  return m as unknown as SequentialJSON;
}

export function checkCompileSection(c: unknown, bad: (what: string) => never): CompileJSON | null {
  if (c === null) return null;
  if (!isObject(c)) return bad('compile must be an object or null');
  const loss = c.loss;
  if (!isObject(loss) || typeof loss.name !== 'string' || typeof loss.fromLogits !== 'boolean') bad('compile.loss must be { name, fromLogits }');
  const o = c.optimizer;
  if (o !== null && (!isObject(o) || typeof o.name !== 'string' || !isObject(o.config))) bad('compile.optimizer must be { name, config } or null');
  if (!Array.isArray(c.metrics) || !c.metrics.every((x) => typeof x === 'string')) bad('compile.metrics must be an array of names');
  return c as unknown as CompileJSON;
}

/**
 * Compiles a rebuilt model as its file says (fresh optimizer state); a model saved uncompiled, or
 * compiled with an optimizer object vigil cannot describe, stays uncompiled. Also used by the ONNX
 * files' `vigil.compile` metadata.
 */
export function compileAsSaved(model: { compile(opts: CompileOptions): void }, compile: CompileJSON | null): void {
  if (!compile?.optimizer) return;
  const optimizer = { ...compile.optimizer.config, name: compile.optimizer.name } as CompileOptions['optimizer'];
  model.compile({ loss: compile.loss, optimizer, metrics: compile.metrics });
}

/** Throws the ModelFileError of one file; the loaders' single way to fail. */
export type FailModelFile = (problem: ModelFileProblem, message: string, cause?: unknown) => never;

export function modelFileFailer(path: string): FailModelFile {
  return (problem, message, cause) => {
    throw new ModelFileError(path, problem, message, cause);
  };
}

/** The saved layers rebuilt from their configs (layers/registry.ts), unbuilt. */
export function layersFromFile(saved: readonly { className: string; name: string; config: LayerConfig }[], fail: FailModelFile): Layer[] {
  return saved.map((l, i) => {
    try {
      return layerFromConfig(l.className, l.config);
    } catch (err) {
      const unknown = err instanceof RangeError && /unknown layer class/.test(err.message);
      return fail(unknown ? 'unknown-layer' : 'bad-config', `layer ${i} (${l.name}): ${(err as Error).message}`, err);
    }
  });
}

/**
 * Puts a file's weights into a rebuilt model after checking them against its layers' names and
 * shapes, compiles it as saved (fresh optimizer state) and decodes the preprocessing: the part of
 * loading every model class shares.
 */
export function restoreSaved<M extends { layers: readonly Layer[]; setWeights(w: readonly Float32Array[]): void; compile(opts: CompileOptions): void }>(
  model: M, file: DecodedModelFile, compile: CompileJSON | null, fail: FailModelFile, path: string,
): { model: M; preprocessing: Preprocessing | null } {
  const h = file.header;
  const want = model.layers.flatMap((l) => l.weights.map((w) => ({ name: `${l.name}/${w.name}`, shape: w.shape })));
  if (want.length !== h.weights.length) {
    fail('weight-mismatch', `the rebuilt model has ${want.length} weights, the file holds ${h.weights.length}`);
  }
  want.forEach((w, i) => {
    const got = h.weights[i];
    if (got.name !== w.name || got.shape.length !== w.shape.length || got.shape.some((d, k) => d !== w.shape[k])) {
      fail('weight-mismatch', `weight ${i} is ${got.name} [${got.shape.join(', ')}] in the file, ` +
        `but the rebuilt layers want ${w.name} [${w.shape.join(', ')}]`);
    }
  });
  model.setWeights(file.weights);
  try {
    compileAsSaved(model, compile);
  } catch (err) {
    fail('bad-header', `cannot compile the model as saved: ${(err as Error).message}`, err);
  }
  return { model, preprocessing: decodePreprocessing(file, path) };
}

/**
 * Rebuilds a Sequential model from a file: the layers from their configs (layers/registry.ts),
 * built for the saved input shape, the weights checked against the rebuilt layers' names and
 * shapes, then compiled as saved (fresh optimizer state).
 */
export async function loadSequential(
  Model: new (layers: Layer[], opts: SequentialOptions) => Sequential,
  path: string,
): Promise<LoadedModel> {
  return sequentialFromFile(Model, await readModelFile(path), path);
}

/**
 * The checks every layer-model file starts with (Sequential and functional): its model type, then
 * its compile section; with the error helpers the caller goes on with for its model section.
 */
export function layerModelFile(file: DecodedModelFile, path: string, modelType: string, what: string): {
  fail: FailModelFile; bad: (what: string) => never; compile: CompileJSON | null;
} {
  const fail = modelFileFailer(path);
  const bad = (w: string): never => fail('bad-header', `bad header: ${w}`);
  const type = file.header.modelType;
  if (type !== modelType) fail('wrong-model-type', `this is a '${type}' model file, not ${what} (modelType '${modelType}')`);
  return { fail, bad, compile: checkCompileSection(file.header.compile, bad) };
}

/** loadSequential on a file already read and decoded (callers that first looked at its header). */
export function sequentialFromFile(
  Model: new (layers: Layer[], opts: SequentialOptions) => Sequential,
  file: DecodedModelFile,
  path: string,
): LoadedModel {
  const { fail, bad, compile } = layerModelFile(file, path, 'sequential', 'a Sequential model');
  const spec = checkModelSection(file.header.model, bad);
  const layers = layersFromFile(spec.layers, fail);
  let model: Sequential;
  try {
    model = new Model(layers, { seed: spec.seed, name: spec.name });
    model.build(spec.inputShape);
  } catch (err) {
    return fail('bad-config', `cannot rebuild the model: ${(err as Error).message}`, err);
  }
  return restoreSaved(model, file, compile, fail, path);
}
