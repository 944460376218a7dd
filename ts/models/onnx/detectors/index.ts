// vigil's detectors as ONNX files and back (see iforest.ts, ocsvm.ts, rbm.ts for each layout and
// common.ts for the outputs every exported detector has). Each entry point has an async twin that does
// the work on a worker thread (a 100-tree forest takes tens of milliseconds each way).
import { offThread, siblingModule } from '../../../offthread/call.ts';
import { Detector, restoreDetector, type FittedDetectorState, type JSONObject } from '../../detectors/detector.ts';
// The detector modules register their types with restoreDetector.
import '../../detectors/iforest.ts';
import '../../detectors/ocsvm.ts';
import '../../detectors/rbm.ts';
import '../../detectors/rbm_ensemble.ts';
import type { TabularInput } from '../../detectors/matrix.ts';
import { knownOptions, optionNames } from '../../options.ts';
import { TabularPipeline } from '../../preprocessing/tabular_pipeline.ts';
import type { GraphReader } from '../read.ts';
import type { DetectorExportOptions, DetectorRecord } from './common.ts';
import { bytesToRecord, EXPORTABLE, readDetectorRecord, stateToOnnx } from './convert.ts';

export type { DetectorExportOptions, DetectorRecord } from './common.ts';
export { isDetectorGraph } from './convert.ts';
export { OUTPUTS as DETECTOR_OUTPUTS } from './common.ts';

const EXPORT_OPTIONS = optionNames<DetectorExportOptions>()(['preprocessing', 'graphName']);

function exportable(fn: string, detector: unknown, opts: unknown): { type: string; state: FittedDetectorState; opts: DetectorExportOptions } {
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${fn}: options must be an object`);
  knownOptions(fn, opts, EXPORT_OPTIONS);
  if (!(detector instanceof Detector)) {
    throw new TypeError(`${fn}: expected a fitted detector (${EXPORTABLE.join(', ')}), got ${detector === null ? 'null' : typeof detector}`);
  }
  const type = detector.modelType;
  if (!EXPORTABLE.includes(type)) throw new TypeError(`${fn}: a ${type} has no ONNX export (${EXPORTABLE.join(', ')} do)`);
  // The detector's own TabularPipeline travels in the file unless the caller gives other preprocessing:
  // the graph takes the pipeline's output, so without it the file would not be the whole model.
  const o = opts as DetectorExportOptions;
  const p = detector.preprocessing;
  const withPipeline = o.preprocessing === undefined && p !== null ? { ...o, preprocessing: p.toJSON() as unknown as JSONObject } : o;
  return { type, state: detector.fittedState(), opts: withPipeline };
}

/**
 * A fitted detector as ONNX bytes (IsolationForest, OneClassSVM, RBM). Outputs: `label` (int64, -1 =
 * anomaly, 1 = normal), `scores` (threshold - anomaly_score: scikit-learn's decision_function sign) and
 * `anomaly_score` (vigil's scoreSamples, higher = more anomalous); the threshold, options and fitted
 * values travel in `vigil.*` metadata, and so does the detector's TabularPipeline (`vigil.preprocessing`;
 * the graph's input `X` is that pipeline's output).
 */
export function detectorToOnnx(detector: Detector<TabularInput>, opts: DetectorExportOptions = {}): Uint8Array {
  const e = exportable('detectorToOnnx', detector, opts);
  return stateToOnnx(e.type, e.state, e.opts);
}

// The async forms run convert.ts on a worker thread: it needs neither the detectors nor the addon.
const CONVERT = siblingModule(import.meta.url, 'convert');

/** detectorToOnnx on a worker thread. */
export async function detectorToOnnxAsync(detector: Detector<TabularInput>, opts: DetectorExportOptions = {}): Promise<Uint8Array> {
  const e = exportable('detectorToOnnxAsync', detector, opts);
  return offThread(CONVERT, 'stateToOnnxBytes', [e.type, e.state, e.opts], { caller: 'detectorToOnnxAsync' });
}

/**
 * The detector of a record, with the TabularPipeline its file carries as its preprocessing (other
 * `vigil.preprocessing` JSON, given to detectorToOnnx by hand, stays in the file for its reader).
 */
function restore(record: DetectorRecord, what: string): Detector<TabularInput> {
  let det: Detector<TabularInput>;
  try {
    det = restoreDetector(record.type, record) as unknown as Detector<TabularInput>;
  } catch (err) {
    throw new Error(`${what}: the ${record.type} does not fit vigil's: ${(err as Error).message}`, { cause: err });
  }
  const pre = record.preprocessing;
  if (pre?.type === 'TabularPipeline') {
    try {
      det.preprocessing = TabularPipeline.fromJSON(pre);
    } catch (err) {
      throw new Error(`${what}: metadata 'vigil.preprocessing': ${(err as Error).message}`, { cause: err });
    }
  }
  return det;
}

/**
 * The detector a graph holds, or undefined when it is not a detector graph (no vigil detector metadata
 * and no TreeEnsembleRegressor or SVMRegressor). scikit-learn's IsolationForest and OneClassSVM in
 * skl2onnx's layout import into vigil's native forest and SVM; files vigil wrote come back complete. A
 * graph that is a detector but does not fit vigil's is an Error naming the node or attribute at fault.
 */
export function importDetectorOnnx(reader: GraphReader): Detector<TabularInput> | undefined {
  const record = readDetectorRecord(reader);
  return record && restore(record, reader.what);
}

/** importDetectorOnnx on ONNX bytes; an Error when they hold no detector. */
export function detectorFromOnnx(bytes: Uint8Array, what = 'model'): Detector<TabularInput> {
  return restore(bytesToRecord(bytes, what), what);
}

/** detectorFromOnnx with the decoding and tree conversion on a worker thread. */
export async function detectorFromOnnxAsync(bytes: Uint8Array, what = 'model'): Promise<Detector<TabularInput>> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what}: expected a Uint8Array of ONNX bytes`);
  return restore(await offThread<DetectorRecord>(CONVERT, 'bytesToRecord', [bytes, what], { caller: 'detectorFromOnnxAsync' }), what);
}
