// The conversions between detector states and ONNX bytes, on plain values only (no detector objects,
// no native addon): index.ts runs them on the calling thread for the sync API and offThread (ts/offthread/) runs them
// on a worker thread for the async one.
import type { FittedDetectorState } from '../../detectors/detector.ts';
import { ML_DOMAIN } from '../build.ts';
import { META } from '../metadata.ts';
import { decodeModel, type ModelProto } from '../proto.ts';
import { GraphReader } from '../read.ts';
import { nodeName, vigilMetadata, type DetectorExportOptions, type DetectorRecord, type VigilDetectorMeta } from './common.ts';
import { importIsolationForest, isolationForestToOnnx } from './iforest.ts';
import { importOneClassSvm, oneClassSvmToOnnx } from './ocsvm.ts';
import { importRbm, importRbmEnsemble, rbmEnsembleToOnnx, rbmToOnnx } from './rbm.ts';

const EXPORTERS: Record<string, (state: FittedDetectorState, opts: DetectorExportOptions) => Uint8Array> = {
  IsolationForest: isolationForestToOnnx,
  OneClassSVM: oneClassSvmToOnnx,
  RBM: rbmToOnnx,
  RbmEnsemble: rbmEnsembleToOnnx,
};

export const EXPORTABLE: readonly string[] = Object.keys(EXPORTERS);

/** A fitted detector's state (Detector.fittedState) of type `type` as ONNX bytes. */
export function stateToOnnx(type: string, state: FittedDetectorState, opts: DetectorExportOptions): Uint8Array {
  const exporter = EXPORTERS[type];
  if (!exporter) throw new TypeError(`detectorToOnnx: a ${type} has no ONNX export (${EXPORTABLE.join(', ')} do)`);
  return exporter(state, opts);
}

const VIGIL_IMPORTERS: Record<string, (r: GraphReader, meta: VigilDetectorMeta) => DetectorRecord> = {
  IsolationForest: importIsolationForest,
  OneClassSVM: importOneClassSvm,
  RBM: importRbm,
  RbmEnsemble: importRbmEnsemble,
};

const CLASSIFIERS = new Set(['TreeEnsembleClassifier', 'SVMClassifier']);
const DETECTOR_OPS = new Set(['TreeEnsembleRegressor', 'SVMRegressor', ...CLASSIFIERS]);

/**
 * Whether readDetectorRecord should have the model: vigil's metadata says it is a detector, or (a file
 * from elsewhere, no `vigil.kind`) it has ai.onnx.ml tree-ensemble or SVM nodes, as skl2onnx writes them.
 * Cheap (no conversion), for importOnnx's dispatch; the classifiers are taken too, so that their import
 * fails with readDetectorRecord's message rather than the Sequential importer's.
 */
export function isDetectorGraph(model: ModelProto): boolean {
  const kind = model.metadata_props?.find((e) => e.key === META.kind)?.value;
  if (kind !== undefined) return kind === 'detector';
  return (model.graph?.node ?? []).some((n) => n.domain === ML_DOMAIN && DETECTOR_OPS.has(n.op_type ?? ''));
}

/**
 * The detector record a graph holds, or undefined when it is not a detector graph (no vigil detector
 * metadata and no tree-ensemble or SVM node). A graph that is one but does not fit vigil's detectors is
 * an Error that names the node or attribute at fault.
 */
export function readDetectorRecord(reader: GraphReader): DetectorRecord | undefined {
  const meta = vigilMetadata(reader);
  if (meta) {
    const importer = VIGIL_IMPORTERS[meta.type];
    if (!importer) throw new Error(`${reader.what}: metadata names the detector type '${meta.type}', which has no ONNX import (${EXPORTABLE.join(', ')})`);
    return { ...importer(reader, meta), preprocessing: meta.preprocessing };
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

/**
 * stateToOnnx's bytes in an ArrayBuffer of their own (detectorToOnnxAsync's worker side): protobufjs
 * hands back a Node Buffer, which may be a view of Node's shared pool (Buffer.slice does not copy).
 */
export function stateToOnnxBytes(type: string, state: FittedDetectorState, opts: DetectorExportOptions): Uint8Array {
  return Uint8Array.from(stateToOnnx(type, state, opts));
}

/** readDetectorRecord on ONNX bytes; an Error when they hold no detector. */
export function bytesToRecord(bytes: Uint8Array, what: string): DetectorRecord {
  const record = readDetectorRecord(new GraphReader(decodeModel(bytes, what), what));
  if (!record) throw new Error(`${what}: not a detector graph (no vigil detector metadata, TreeEnsembleRegressor or SVMRegressor)`);
  return record;
}
