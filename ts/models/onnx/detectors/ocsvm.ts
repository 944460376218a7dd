// OneClassSVM <-> ONNX, in the layout skl2onnx writes: ai.onnx.ml SVMRegressor with kernel_type,
// kernel_params [gamma, coef0, degree], support_vectors, coefficients = α (scikit-learn's dual_coef_)
// and rho = -ρ (scikit-learn's intercept_), whose output is scikit-learn's decision_function
// Σ α_i K(sv_i, x) - ρ. onnxruntime's SVMRegressor computes exactly that for the four kernels vigil has.
//
// Export: SVMRegressor -> Neg = anomaly_score (vigil's scoreSamples), then the shared tail (common.ts);
// with `threshold: 'rho'` (threshold 0), `scores` is scikit-learn's decision_function.
// Import: vigil's file back, or skl2onnx's (SVMRegressor -> Cast = scores, Sign -> label), whose boundary
// is scikit-learn's: the detector gets `threshold: 'rho'`. nu, tol and the support vectors' training rows
// are not in skl2onnx's graph: nu takes vigil's default (it matters only to a refit) and `support` is -1.
import type { FittedDetectorState, JSONObject } from '../../detectors/detector.ts';
import { ML_DOMAIN } from '../build.ts';
import type { NodeProto } from '../proto.ts';
import { attr, attrFloats, attrInt, attrString, type GraphReader } from '../read.ts';
import {
  detectorBuilder, featureCount, finishDetectorGraph, graphThreshold, INPUT, nodeName, numberOf, OUTPUTS, preferExact, traceInput, weightOf,
  type DetectorExportOptions, type DetectorRecord, type VigilDetectorMeta,
} from './common.ts';

const KERNELS = new Set(['linear', 'poly', 'rbf', 'sigmoid']);

/** A fitted OneClassSVM's state (Detector.fittedState) as ONNX bytes. */
export function oneClassSvmToOnnx(state: FittedDetectorState, opts: DetectorExportOptions = {}): Uint8Array {
  const { config, fitted } = state;
  const coef = weightOf(state, 'dualCoef');
  const g = detectorBuilder();
  const [svm] = g.add('SVMRegressor', [INPUT], {
    kernel_type: { s: String(config.kernel).toUpperCase() },
    kernel_params: { floats: [numberOf(fitted, 'gamma'), numberOf(config, 'coef0'), numberOf(config, 'degree')] },
    support_vectors: { floats: Array.from(weightOf(state, 'supportVectors')) },
    coefficients: { floats: Array.from(coef) },
    rho: { floats: [-numberOf(fitted, 'rho')] },
    n_supports: { i: coef.length },
    post_transform: { s: 'NONE' },
  }, 1, ML_DOMAIN);
  g.add('Neg', [svm!], {}, [OUTPUTS.anomaly]);
  // The training rows of the support vectors have no place in the graph: metadata keeps them.
  return finishDetectorGraph(g, 'OneClassSVM', state, numberOf(fitted, 'features'),
    'ρ - Σ α_i K(sv_i, x) (minus scikit-learn\'s decision_function)', opts,
    { fitted: { support: Array.from(weightOf(state, 'support')) }, mlOutputs: [svm!] });
}

function needFloats(r: GraphReader, node: NodeProto, name: string): number[] {
  if (!attr(node, name)) throw new Error(`${r.what}: ${nodeName(node)} lacks attribute '${name}'`);
  return attrFloats(node, name, [], r.what);
}

/** A OneClassSVM's record from the graph's SVMRegressor; `meta` is the state of a file vigil wrote. */
export function importOneClassSvm(r: GraphReader, meta: VigilDetectorMeta | null): DetectorRecord {
  const svms = r.nodes.filter((n) => n.op_type === 'SVMRegressor' && n.domain === ML_DOMAIN);
  if (svms.length !== 1) throw new Error(`${r.what}: ${svms.length} SVMRegressor nodes; a one-class SVM graph has one`);
  const node = svms[0]!;
  const what = `${r.what}: ${nodeName(node)}`;
  if (traceInput(r, node, node.input?.[0] ?? '').columns !== null) throw new Error(`${what} reads a Gather of the input's columns, which vigil's SVM does not`);
  const kernel = attrString(node, 'kernel_type', 'LINEAR', r.what).toLowerCase();
  if (!KERNELS.has(kernel)) throw new Error(`${what}: kernel_type '${kernel.toUpperCase()}' is not one of LINEAR, POLY, RBF, SIGMOID`);
  const post = attrString(node, 'post_transform', 'NONE', r.what);
  if (post !== 'NONE') throw new Error(`${what}: post_transform '${post}' is not supported (only NONE)`);
  const nSV = attrInt(node, 'n_supports', 0, r.what);
  if (!attr(node, 'n_supports') || nSV < 1) {
    throw new Error(`${what}: n_supports is ${attr(node, 'n_supports') ? nSV : 'missing'}; a one-class SVM has support vectors (SVMRegressor's linear mode is not one)`);
  }
  const sv = needFloats(r, node, 'support_vectors');
  const coef = needFloats(r, node, 'coefficients');
  const rhoAttr = needFloats(r, node, 'rho');
  if (coef.length !== nSV) throw new Error(`${what}: attribute 'coefficients' has ${coef.length} entries, n_supports is ${nSV}`);
  if (rhoAttr.length !== 1) throw new Error(`${what}: attribute 'rho' has ${rhoAttr.length} entries, expected 1`);
  if (sv.length === 0 || sv.length % nSV !== 0) throw new Error(`${what}: attribute 'support_vectors' has ${sv.length} entries, not a multiple of n_supports ${nSV}`);
  const cols = sv.length / nSV;
  const features = featureCount(r, cols);
  if (features !== cols) throw new Error(`${what}: the support vectors have ${cols} features but the input '${r.inputs[0]}' has ${features} columns`);
  const params = attrFloats(node, 'kernel_params', [], r.what);
  if (params.length !== 0 && params.length !== 3) throw new Error(`${what}: attribute 'kernel_params' has ${params.length} entries, expected [gamma, coef0, degree]`);
  const [gammaAttr = 0, coef0Attr = 0, degree = 0] = params;
  if (!Number.isInteger(degree) || degree < 0) throw new Error(`${what}: the degree in kernel_params is ${degree}, not an integer >= 0`);
  const m = meta?.fitted;
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  // A linear kernel ignores gamma; vigil checks it is positive all the same, as scikit-learn does.
  let gamma = preferExact(num(m?.gamma), gammaAttr);
  if (kernel === 'linear' && !(gamma > 0)) gamma = 1;
  if (!(gamma > 0)) throw new Error(`${what}: gamma (kernel_params[0]) is ${gamma}; the ${kernel} kernel needs gamma > 0`);
  const coef0 = preferExact(num(meta?.config.coef0), coef0Attr);
  const rho = preferExact(num(m?.rho), -rhoAttr[0]!);
  const support = Array.isArray(m?.support) && m.support.length === nSV ? Float32Array.from(m.support as number[]) : new Float32Array(nSV).fill(-1);
  const config: JSONObject = meta
    ? { ...meta.config, kernel, degree, coef0 }
    : { kernel, gamma, degree, coef0, threshold: 'rho' };
  const threshold = meta ? preferExact(meta.threshold, graphThreshold(r) ?? meta.threshold) : 0;
  const fitted: JSONObject = {
    iterations: 0, status: 'converged', ...(m ?? {}), features, gamma, rho, supportVectors: nSV,
  };
  return {
    type: 'OneClassSVM', config, fitted, threshold,
    weights: new Map([['supportVectors', Float32Array.from(sv)], ['dualCoef', Float32Array.from(coef)], ['support', support]]),
  };
}
