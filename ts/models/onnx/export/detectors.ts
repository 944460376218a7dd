// The table of detector exporters by model type (the type detector files carry, e.g. 'IsolationForest'):
// each detector's ONNX form lives beside its own code and registers here, so that exportOnnx and
// `vigil export` reach every detector through one entry point.
import type { Detector } from '../../detectors/detector.ts';

/** A fitted detector's ONNX bytes (scores as its doc_string says, threshold in `vigil.threshold`). */
export type DetectorExporter = (detector: Detector<never>) => Uint8Array;

const exporters = new Map<string, DetectorExporter>();

export function registerDetectorExporter(modelType: string, exporter: DetectorExporter): void {
  if (typeof modelType !== 'string' || modelType.length === 0) throw new TypeError('registerDetectorExporter: modelType must be a non-empty string');
  if (typeof exporter !== 'function') throw new TypeError('registerDetectorExporter: exporter must be a function (detector) => Uint8Array');
  exporters.set(modelType, exporter);
}

/** The exporter of a detector type; an Error naming the type when there is none. */
export function detectorExporter(modelType: string): DetectorExporter {
  const e = exporters.get(modelType);
  if (!e) {
    throw new Error(`exportOnnx: no ONNX exporter for detector type '${modelType}'` +
      (exporters.size ? ` (exportable: ${[...exporters.keys()].join(', ')})` : ''));
  }
  return e;
}
