// The two kinds of model vigil saves, as the streaming pipeline drives them:
// - a Sequential text model: each row's text goes through the preprocessing saved with the model
//   (tokenizer + padding) and one predict call per batch;
// - a tabular detector: each row's feature cells become numbers (through a ColumnEncoder when the
//   detector carries one for categorical columns, else parsed as decimal numbers), one
//   scoreSamples call per batch, predictions from the detector's threshold.
import { ColumnEncoder, parseNumberCell } from '../preprocessing/encoders.ts';
import type { Cell } from '../preprocessing/encoders.ts';
import { Preprocessing } from '../serialize.ts';
import type { SavePreprocessing } from '../serialize.ts';
import type { ModelInput, Sequential } from '../sequential.ts';
import type { Tensor } from '../tensor.ts';
import type { Detector } from '../detectors/detector.ts';
import type { TabularInput } from '../detectors/matrix.ts';
import type { ColumnSpec } from './rows.ts';
import type { StreamModel, StreamOptions } from './pipeline.ts';

/** scoreStream options of a Sequential text model. */
export interface TextStreamOptions extends StreamOptions {
  /** How raw strings become the model's input: the `preprocessing` Sequential.load returned (tokenizer + padding). */
  preprocessing: Preprocessing | SavePreprocessing;
  /** CSV: the column of the texts (required); JSON lines: the field (default: the whole line); text lines: none. */
  textColumn?: ColumnSpec;
}

/** scoreStream options of a tabular detector. */
export interface DetectorStreamOptions extends StreamOptions {
  /**
   * The feature columns (CSV names or indices; JSON field names, or indices into arrays), in the
   * order the detector was fitted on; default: every column but the id and label columns.
   */
  columns?: ColumnSpec[];
  /** Turns the feature cells into numbers (categorical columns); default: the detector's own, else numbers only. */
  encoder?: ColumnEncoder | null;
}

export const TEXT_BATCH = 256;
export const DETECTOR_BATCH = 4096;

/** A Sequential model that scores raw strings, one output per row. */
export function textModel(fn: string, model: Sequential, options: TextStreamOptions): StreamModel<ModelInput> {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: options must be an object with preprocessing`);
  const p = options.preprocessing;
  if (typeof p !== 'object' || p === null) {
    throw new TypeError(`${fn}: options.preprocessing is required: the tokenizer and padding the model was trained with (Sequential.load returns it)`);
  }
  const pre = p instanceof Preprocessing ? p : new Preprocessing(p);
  if (!pre.tokenizer) throw new TypeError(`${fn}: options.preprocessing has no tokenizer, so raw strings cannot become the model's input`);
  if (model.built) {
    const out = model.layers[model.layers.length - 1].outputShape;
    if (out.length !== 1 || out[0] !== 1) {
      throw new RangeError(`${fn}: the model's output has shape [${out.join(', ')}]; streamed scoring needs one output per row`);
    }
  }
  const textColumn = options.textColumn;
  if (textColumn !== undefined && !(typeof textColumn === 'string' || typeof textColumn === 'number')) {
    throw new TypeError(`${fn}: textColumn must be a column name or a 0-based index`);
  }
  return {
    payload: { kind: 'text', column: textColumn ?? null },
    batchSize: TEXT_BATCH,
    optionNames: ['preprocessing', 'textColumn'] satisfies (keyof TextStreamOptions)[],
    prepare: (payload) => ({ input: pre.encode(payload as string[]) }),
    score: async (x, rows) => ({ scores: (await model.predict(x, { batchSize: rows })).data, predictions: null }),
  };
}

/** The ColumnEncoder a detector file carries for its categorical columns, when it has one. */
export function detectorEncoder(det: object): ColumnEncoder | null {
  const e = (det as { encoder?: unknown }).encoder;
  return e instanceof ColumnEncoder ? e : null;
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/** A fitted tabular detector (IsolationForest, OneClassSVM, RBM): one row = one sample. */
export function detectorModel(fn: string, det: Detector<TabularInput>, options: DetectorStreamOptions): StreamModel<Tensor<Float32Array>> {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: options must be an object`);
  void det.threshold; // throws when not fitted
  const features = (det as { nFeatures?: unknown }).nFeatures;
  if (typeof features !== 'number') {
    throw new TypeError(`${fn}: ${det.modelType} scores whole series, not independent rows; scoreStream takes tabular detectors`);
  }
  const cols = options.columns;
  if (cols !== undefined && (!Array.isArray(cols) || cols.length === 0 || cols.some((c) => typeof c !== 'string' && !(Number.isInteger(c) && c >= 0)))) {
    throw new TypeError(`${fn}: columns must be a non-empty array of column names or 0-based indices`);
  }
  if (options.encoder !== undefined && options.encoder !== null && !(options.encoder instanceof ColumnEncoder)) {
    throw new TypeError(`${fn}: encoder must be a fitted ColumnEncoder or null`);
  }
  // A detector saved with its preprocessing (a TabularPipeline) reads the raw columns it names.
  const pipeline = det.preprocessing;
  if (pipeline && options.encoder != null) throw new TypeError(`${fn}: the detector carries its preprocessing; leave encoder out`);
  const encoder = options.encoder === undefined ? detectorEncoder(det) : options.encoder;
  if (encoder && !encoder.fitted) throw new TypeError(`${fn}: the encoder is not fitted`);
  if (encoder && encoder.nColumns !== features) {
    throw new RangeError(`${fn}: the encoder takes ${encoder.nColumns} columns, the detector was fitted on ${features} features`);
  }
  const width = pipeline ? pipeline.columns.length : features;
  const transform = pipeline ? (r: Cell[][]) => pipeline.transform(r) : encoder ? (r: Cell[][]) => encoder.transform(r) : null;
  let names: string[] = [];
  return {
    payload: { kind: 'features', columns: cols ?? (pipeline ? [...pipeline.columns] : null) },
    batchSize: DETECTOR_BATCH,
    optionNames: ['columns', 'encoder'] satisfies (keyof DetectorStreamOptions)[],
    columnsKnown(given) {
      names = given;
      if (given.length !== width) {
        throw new RangeError(`${fn}: the input has ${given.length} feature column(s) (${given.join(', ')}), the detector ${pipeline ? 'reads' : 'was fitted on'} ${width}; ` +
          'choose them with columns (and leave out id and label columns with idColumn, labelColumn)');
      }
    },
    prepare(payload) {
      const rows = payload as Cell[][];
      if (transform) {
        try {
          return { input: transform(rows) };
        } catch {
          // Find the row at fault, for its line number.
          for (let i = 0; i < rows.length; i++) {
            try {
              transform([rows[i]]);
            } catch (err) {
              return { bad: i, message: (err as Error).message.replace(/^ColumnEncoder\.transform: rows\[0\]\[(\d+)\]/, 'cell $1') };
            }
          }
          throw new Error(`${fn}: the preprocessing refused a batch but none of its rows alone`);
        }
      }
      const n = rows.length;
      const out = new Float32Array(n * features);
      for (let i = 0, k = 0; i < n; i++) {
        const r = rows[i];
        for (let j = 0; j < features; j++, k++) {
          const v = r[j];
          const x = typeof v === 'string' ? parseNumberCell(v) : typeof v === 'number' ? v : NaN;
          out[k] = x;
          if (!Number.isFinite(out[k])) {
            const what = Number.isNaN(x) ? 'not a number' : 'not finite in float32';
            return { bad: i, message: `column ${names[j] ?? j}: ${show(v)} is ${what}` };
          }
        }
      }
      return { input: { data: out, shape: [n, features] } };
    },
    async score(x) {
      // x holds features already (prepare ran the preprocessing, to find a bad row's line).
      const scores = await det.scoreFeatures(x);
      const threshold = det.threshold;
      const predictions = new Uint8Array(scores.length);
      for (let i = 0; i < scores.length; i++) predictions[i] = scores[i] > threshold ? 1 : 0;
      return { scores, predictions };
    },
  };
}
