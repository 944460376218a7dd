// The conversions between detector states and ONNX bytes, on plain values only (no detector objects,
// no native addon): index.ts runs them on the calling thread for the sync API and worker.ts runs them
// on a worker thread for the async one.
import type { FittedDetectorState } from '../../detectors/detector.ts';
import { ML_DOMAIN } from '../build.ts';
import { META } from '../metadata.ts';
import { decodeModel } from '../proto.ts';
import { GraphReader } from '../read.ts';
import { nodeName, vigilMetadata, type DetectorExportOptions, type DetectorRecord } from './common.ts';
import { importIsolationForest, isolationForestToOnnx } from './iforest.ts';
import { importOneClassSvm, oneClassSvmToOnnx } from './ocsvm.ts';
import { importRbm, rbmToOnnx } from './rbm.ts';

const EXPORTERS: Record<string, (state: FittedDetectorState, opts: DetectorExportOptions) => Uint8Array> = {
  IsolationForest: isolationForestToOnnx,
  OneClassSVM: oneClassSvmToOnnx,
  RBM: rbmToOnnx,
};

export const EXPORTABLE: readonly string[] = Object.keys(EXPORTERS);

/** A fitted detector's state (Detector.fittedState) of type `type` as ONNX bytes. */
export function stateToOnnx(type: string, state: FittedDetectorState, opts: DetectorExportOptions): Uint8Array {
  const exporter = EXPORTERS[type];
  if (!exporter) throw new TypeError(`detectorToOnnx: a ${type} has no ONNX export (${EXPORTABLE.join(', ')} do)`);
  return exporter(state, opts);
}

const CLASSIFIERS = new Set(['TreeEnsembleClassifier', 'SVMClassifier']);

/**
 * The detector record a graph holds, or undefined when it is not a detector graph (no vigil detector
 * metadata and no tree-ensemble or SVM node). A graph that is one but does not fit vigil's detectors is
 * an Error that names the node or attribute at fault.
 */
export function readDetectorRecord(reader: GraphReader): DetectorRecord | undefined {
  const meta = vigilMetadata(reader);
  if (meta) {
    if (meta.type === 'IsolationForest') return importIsolationForest(reader, meta);
    if (meta.type === 'OneClassSVM') return importOneClassSvm(reader, meta);
    if (meta.type === 'RBM') return importRbm(reader, meta);
    throw new Error(`${reader.what}: metadata names the detector type '${meta.type}', which has no ONNX import (${EXPORTABLE.join(', ')})`);
  }
  if (reader.metadata()[META.kind] !== undefined) return undefined;
  const ml = reader.nodes.filter((n) => n.domain === ML_DOMAIN);
  const classifier = ml.find((n) => CLASSIFIERS.has(n.op_type));
  if (classifier) {
    throw new Error(`${reader.what}: ${nodeName(classifier)} is a classifier; vigil imports scikit-learn's IsolationForest ` +
      '(TreeEnsembleRegressor) and OneClassSVM (SVMRegressor)');
  }
  if (ml.some((n) => n.op_type === 'TreeEnsembleRegressor')) return importIsolationForest(reader, null);
  if (ml.some((n) => n.op_type === 'SVMRegressor')) return importOneClassSvm(reader, null);
  return undefined;
}

/** readDetectorRecord on ONNX bytes; an Error when they hold no detector. */
export function bytesToRecord(bytes: Uint8Array, what: string): DetectorRecord {
  const record = readDetectorRecord(new GraphReader(decodeModel(bytes, what), what));
  if (!record) throw new Error(`${what}: not a detector graph (no vigil detector metadata, TreeEnsembleRegressor or SVMRegressor)`);
  return record;
}
