// Where a detector's ONNX file keeps vigil's anomaly score (scoreSamples: HIGHER = MORE ANOMALOUS), for
// a reader that runs the graph itself (onnxruntime) and must get what vigil's import of the same file
// gives: `vigil score --engine onnxruntime` writes what `--engine native` writes.
//
//   vigil's files (`vigil.kind` = detector): the output `anomaly_score`, as it is (unless a newer vigil
//     wrote the file, metadata.ts's checkVigilFile: its outputs may mean something else).
//   skl2onnx's IsolationForest / OneClassSVM: the second output (skl2onnx's `scores`, after `label`) is
//     scikit-learn's decision_function, lower = more abnormal. vigil's score is threshold - scores with
//     the threshold vigil's import gives the detector: -offset_ for a forest (so the score is minus
//     scikit-learn's score_samples), 0 for an SVM (minus its decision_function). The threshold is taken
//     from that import itself, so that the two engines cannot disagree on it.
import { DataType } from '../build.ts';
import type { ModelProto } from '../proto.ts';
import { GraphReader } from '../read.ts';
import { checkVigilFile, META } from '../metadata.ts';
import { OUTPUTS } from './common.ts';
import { isDetectorGraph } from './convert.ts';
import { detectorFromOnnxAsync } from './index.ts';

export interface DetectorScoreOutput {
  /** The graph output to read. */
  output: string;
  /** null: the output is vigil's score; a number t: vigil's score is t - output. */
  threshold: number | null;
  /** How the output is read, for messages: e.g. "anomaly_score" or "0.512 - scores". */
  reads: string;
}

/** Why a graph that looks like a detector (vigil's metadata, ai.onnx.ml tree-ensemble or SVM nodes) is not one vigil scores as such. */
export class NotAVigilDetector extends Error {}

/**
 * The output of a detector graph that gives vigil's score, or null when the model is not a detector
 * graph (no vigil detector metadata, no ai.onnx.ml tree-ensemble or SVM node). `bytes` are the model's
 * bytes (decoded as `model`): a file from elsewhere is imported (on a worker thread) for its threshold.
 * Rejects with NotAVigilDetector when the graph looks like one but vigil does not read it as one (a
 * regressor that is not an isolation forest, a pipeline with steps before the model, a newer vigil's
 * file), and with an Error when a vigil detector file lacks its `anomaly_score` output.
 */
export async function detectorScoreOutput(bytes: Uint8Array, model: ModelProto, what: string): Promise<DetectorScoreOutput | null> {
  if (!isDetectorGraph(model)) return null;
  const reader = new GraphReader(model, what);
  const meta = reader.metadata();
  if (meta[META.kind] === 'detector') {
    // A newer vigil's file may have changed what its outputs mean: read as any other model.
    try {
      checkVigilFile(meta, what);
    } catch (err) {
      throw new NotAVigilDetector((err as Error).message, { cause: err });
    }
    if (!reader.outputs.includes(OUTPUTS.anomaly)) {
      throw new Error(`${what}: a vigil detector file without its '${OUTPUTS.anomaly}' output (outputs: ${reader.outputs.join(', ')})`);
    }
    return { output: OUTPUTS.anomaly, threshold: null, reads: OUTPUTS.anomaly };
  }
  let threshold: number;
  try {
    threshold = (await detectorFromOnnxAsync(bytes, what)).threshold;
  } catch (err) {
    throw new NotAVigilDetector((err as Error).message, { cause: err });
  }
  const second = model.graph!.output?.[1];
  if (second?.type?.tensor_type?.elem_type !== DataType.FLOAT) {
    throw new NotAVigilDetector(`${what}: the second output${second ? ` '${second.name}'` : ''} is not a float tensor, where skl2onnx writes the decision function 'scores'`);
  }
  return { output: second.name, threshold, reads: `${threshold} - ${second.name}` };
}

/** The values of `DetectorScoreOutput.output` as vigil's scores (a copy when a threshold applies). */
export function toVigilScores(pick: DetectorScoreOutput, values: Float32Array): Float32Array {
  const t = pick.threshold;
  return t === null ? values : Float32Array.from(values, (v) => t - v);
}
