// A detector's anomaly scores of one tensor, for `vigil score --input X.npy|X.json`: the same code for
// a detector loaded from a .vigil file and one imported from an .onnx file (--engine native), so the
// two files of one model give the same numbers.
//
// The tensor is the detector's FEATURES, not raw columns: the rows after the detector's saved
// TabularPipeline, which is not applied here (scoreFeatures, not scoreSamples). That is what the
// ONNX file's input X is (its graph starts after the pipeline, carried as `vigil.preprocessing`
// metadata), so a .vigil file, its ONNX export under --engine native and under --engine onnxruntime
// all read the same tensor the same way. A numeric tensor can't hold a pipeline's raw rows anyway
// (categorical cells are strings); raw rows go in a CSV or JSON-lines file, which `vigil score`
// streams through the pipeline (score.ts).
import { Detector } from '../models/detectors/detector.ts';
import type { TabularInput } from '../models/detectors/matrix.ts';
import type { SeriesInput } from '../models/detectors/series.ts';
import { WindowModelDetector } from '../models/detectors/window_model.ts';
import type { NdArray } from '../models/preprocessing/npy.ts';
import type { Io } from './common.ts';
import { castTensor } from './tensor_files.ts';

/** Features per row of a fitted tabular detector (every tabular detector has nFeatures). */
function tabularWidth(det: Detector<never>): number {
  const n = (det as unknown as { nFeatures?: unknown }).nFeatures;
  if (typeof n !== 'number') throw new Error(`vigil score: a ${det.modelType} does not say how many features it takes`);
  return n;
}

/**
 * One anomaly score per row of `x` (higher = more anomalous), float32 [N]: a tabular detector reads
 * `x` as [rows, features]; a series detector (LstmForecaster, LstmAutoencoder, TcnForecaster) as one
 * series [steps] or [steps, features], one score per step (NaN for the first steps no window
 * reaches). A tensor of the wrong rank or width is a RangeError naming --input and both numbers.
 * `what` names the model file in messages.
 */
export async function scoreDetectorTensor(det: Detector<never>, x: NdArray, what: string, io: Io): Promise<NdArray> {
  const type = det.modelType;
  const data = castTensor(x, 'float32', '--input').data as Float32Array;
  let scores: Float32Array;
  if (det instanceof WindowModelDetector) {
    if (x.shape.length !== 1 && x.shape.length !== 2) {
      throw new RangeError(`--input must be one series, [steps] or [steps, features], for the ${type} in ${what}; got shape [${x.shape.join(', ')}]`);
    }
    const width = x.shape.length === 1 ? 1 : x.shape[1]!;
    if (width !== det.features) {
      throw new RangeError(`--input has ${width} feature(s) per step; the ${type} in ${what} takes ${det.features}`);
    }
    const series: SeriesInput = x.shape.length === 1 ? data : { data, shape: [...x.shape] };
    scores = await (det as unknown as Detector<SeriesInput>).scoreFeatures(series);
  } else {
    const width = tabularWidth(det);
    if (x.shape.length !== 2) {
      throw new RangeError(`--input must be a [rows, features] tensor for the ${type} in ${what} (${width} features); got shape [${x.shape.join(', ')}]`);
    }
    if (x.shape[1] !== width) {
      throw new RangeError(`--input has ${x.shape[1]} features per row; the ${type} in ${what} takes ${width}`);
    }
    if (det.preprocessing !== null) {
      io.stderr.write(`vigil: note: ${what} scores the tensor as its features, after its saved preprocessing ` +
        '(not applied here); give raw rows as a CSV or JSON-lines file to have it applied\n');
    }
    scores = await (det as unknown as Detector<TabularInput>).scoreFeatures({ data, shape: [...x.shape] });
  }
  return { dtype: 'float32', shape: [scores.length], data: scores };
}
