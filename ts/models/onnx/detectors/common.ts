// What every detector's ONNX file shares: on export, the outputs after the anomaly score (the layout of
// skl2onnx's outlier detectors, so that tools reading scikit-learn models read vigil's) and the `vigil.*`
// metadata; on import, the check that a model node reads the graph's input itself, and the metadata of a
// file vigil wrote.
//
// Outputs of an exported detector, in this order:
//   label         int64 [N, 1]  -1 = anomaly, 1 = normal (scikit-learn's predict, skl2onnx's first output)
//   scores        float [N, 1]  threshold - anomaly_score: negative = anomaly (scikit-learn's decision_function
//                               sign; for a forest or SVM fitted by scikit-learn, its decision_function itself)
//   anomaly_score float [N, 1]  vigil's scoreSamples: HIGHER = MORE ANOMALOUS
import type { FittedDetectorState, JSONObject } from '../../detectors/detector.ts';
import { DataType, GraphBuilder, valueInfo } from '../build.ts';
import { encodeModel, floatTensor, int64Tensor, tensorToFloat32, type NodeProto, type TensorProto } from '../proto.ts';
import { attrInt, type GraphReader } from '../read.ts';
import { checkVigilFile, META } from '../metadata.ts';
import { vigilVersion } from '../../../version.ts';

export const INPUT = 'X';
export const OUTPUTS = { label: 'label', scores: 'scores', anomaly: 'anomaly_score' } as const;

export interface DetectorExportOptions {
  /**
   * A fitted scaler's or encoder's toJSON(), stored under `vigil.preprocessing`: the graph's input is the
   * table after that step. vigil's detectors hold no preprocessing of their own.
   */
  preprocessing?: JSONObject;
  /** Producer-facing name of the graph (default: the detector type). */
  graphName?: string;
}

/** The one sentence per file that says how its outputs read; `scoreMeaning` says what anomaly_score is. */
export function scoreConvention(scoreMeaning: string): string {
  return `anomaly_score = ${scoreMeaning}: higher = more anomalous (vigil's scoreSamples); ` +
    'scores = threshold - anomaly_score: lower = more abnormal, < 0 = anomaly (scikit-learn\'s decision_function sign); ' +
    'label = -1 where scores < 0 (anomaly), else 1 (scikit-learn\'s predict).';
}

/**
 * Adds the shared tail after `anomaly` (the value named OUTPUTS.anomaly) and wraps the graph as ONNX bytes
 * with the detector's state in metadata: type, threshold, config and fitted values (the weights are in
 * the graph; `extra.fitted` adds state the graph has no place for), the score convention and the
 * preprocessing. `extra.mlOutputs` names the float [N, 1] outputs of ai.onnx.ml nodes.
 */
export function finishDetectorGraph(g: GraphBuilder, type: string, state: FittedDetectorState, features: number,
  scoreMeaning: string, opts: DetectorExportOptions, extra: { fitted?: JSONObject; mlOutputs?: string[] } = {}): Uint8Array {
  const threshold = g.constant(floatTensor('threshold', [1], [state.threshold]));
  g.add('Sub', [threshold, OUTPUTS.anomaly], {}, [OUTPUTS.scores]);
  const [less] = g.add('Less', [OUTPUTS.scores, g.constant(floatTensor('zero', [1], [0]))]);
  const [flag] = g.add('Cast', [less!], { to: { i: DataType.INT64 } });
  const [minus2] = g.add('Mul', [flag!, g.constant(int64Tensor('minus_two', [1], [-2]))]);
  g.add('Add', [minus2!, g.constant(int64Tensor('one', [1], [1]))], {}, [OUTPUTS.label]);
  const convention = scoreConvention(scoreMeaning);
  const metadata: Record<string, string> = {
    [META.kind]: 'detector',
    [META.detector]: type,
    [META.threshold]: String(state.threshold),
    [META.config]: JSON.stringify({ config: state.config, fitted: { ...state.fitted, ...extra.fitted } }),
    [META.score]: convention,
    [META.version]: vigilVersion(),
  };
  if (opts.preprocessing !== undefined) metadata[META.preprocessing] = JSON.stringify(opts.preprocessing);
  const model = g.toModel({
    inputs: [valueInfo(INPUT, DataType.FLOAT, ['N', features])],
    outputs: [
      valueInfo(OUTPUTS.label, DataType.INT64, ['N', 1]),
      valueInfo(OUTPUTS.scores, DataType.FLOAT, ['N', 1]),
      valueInfo(OUTPUTS.anomaly, DataType.FLOAT, ['N', 1]),
    ],
    metadata,
    docString: `vigil ${type} anomaly detector (threshold ${state.threshold}). ${convention}`,
    graphName: opts.graphName ?? type,
  });
  // onnx 1.12 infers no type for ai.onnx.ml outputs: declared here, strict shape inference passes.
  model.graph!.value_info = (extra.mlOutputs ?? []).map((name) => valueInfo(name, DataType.FLOAT, ['N', 1]));
  return encodeModel(model);
}

/**
 * A detector as a file carries it, before restoreDetector rebuilds it: what the importers produce. Plain
 * values only, so that a worker thread can hand it over.
 */
export interface DetectorRecord {
  type: string;
  config: JSONObject;
  fitted: JSONObject;
  weights: Map<string, Float32Array>;
  threshold: number;
  /** `vigil.preprocessing` of a file vigil wrote (a TabularPipeline's toJSON, or what the exporter was given); null otherwise. */
  preprocessing?: JSONObject | null;
}

/** A weight of a fitted state by name; an Error when the state lacks it. */
export function weightOf(state: FittedDetectorState, name: string): Float32Array {
  const w = state.weights.find((x) => x.name === name);
  if (!w) throw new Error(`detectorToOnnx: the fitted state has no weight '${name}'`);
  return w.value;
}

/** A number the fitted state or config must hold. */
export function numberOf(o: JSONObject, name: string): number {
  const v = o[name];
  if (typeof v !== 'number') throw new Error(`detectorToOnnx: the fitted state has no number '${name}'`);
  return v;
}

/** A new builder with the input and output names reserved. */
export function detectorBuilder(): GraphBuilder {
  const g = new GraphBuilder();
  g.reserve(INPUT, OUTPUTS.label, OUTPUTS.scores, OUTPUTS.anomaly);
  return g;
}

export function nodeName(n: NodeProto): string {
  return `${n.op_type} node '${n.name ?? ''}'`;
}

/** Where a model node's input comes from: the graph input itself, or a column subset of it (Gather). */
export interface InputPath {
  /** Columns of the graph input the node sees, in order (a Gather on axis 1); null = all of them. */
  columns: number[] | null;
}

/**
 * Follows `value` (an input of `node`) back to the graph's only input through Cast and at most one
 * Gather of columns. Anything else before the model (a Scaler of a pipeline, say) is refused: importing
 * the model without it would give other scores.
 */
export function traceInput(r: GraphReader, node: NodeProto, value: string): InputPath {
  if (r.inputs.length !== 1) {
    throw new Error(`${r.what}: a detector graph takes one input, this one has ${r.inputs.length} (${r.inputs.join(', ')})`);
  }
  let columns: number[] | null = null;
  let v = value;
  for (;;) {
    if (v === r.inputs[0]) return { columns };
    const p = r.producer.get(v);
    if (p?.op_type === 'Cast') {
      const to = attrInt(p, 'to', 0, r.what);
      if (to !== DataType.FLOAT && to !== DataType.DOUBLE) throw new Error(`${r.what}: ${nodeName(p)} before ${nodeName(node)} casts to type ${to}, not a float type`);
      v = p.input?.[0] ?? '';
      continue;
    }
    if (p?.op_type === 'Gather' && columns === null) {
      if (attrInt(p, 'axis', 0, r.what) !== 1) throw new Error(`${r.what}: ${nodeName(p)} before ${nodeName(node)} gathers along axis ${attrInt(p, 'axis', 0, r.what)}, not the columns (axis 1)`);
      const idx = p.input?.[1] ?? '';
      if (!r.isConstant(idx)) throw new Error(`${r.what}: ${nodeName(p)} before ${nodeName(node)} takes its column indices from a computed value`);
      const t = r.tensor(idx);
      if ((t.dims ?? []).length !== 1) throw new Error(`${r.what}: ${nodeName(p)} before ${nodeName(node)}: column indices must be a 1-D tensor`);
      columns = r.ints(idx);
      v = p.input?.[0] ?? '';
      continue;
    }
    const what = p ? `computed by ${nodeName(p)}` : 'not computed by any node nor a graph input';
    throw new Error(`${r.what}: ${nodeName(node)} reads '${v}', ${what}; vigil imports the detector alone, without steps ` +
      'before it (run the whole graph with onnxruntime instead)');
  }
}

/** The graph input's column count when its shape says it, else null. */
export function inputColumns(r: GraphReader): number | null {
  const vi = r.model.graph?.input?.find((i) => i.name === r.inputs[0]);
  const dims = vi?.type?.tensor_type?.shape?.dim;
  if (!dims || dims.length !== 2) return null;
  const d = dims[1]!.dim_value;
  return typeof d === 'number' && Number.isInteger(d) && d > 0 ? d : null;
}

/** The feature count: the input's declared width, at least `needed` (what the model's indices reach). */
export function featureCount(r: GraphReader, needed: number): number {
  const declared = inputColumns(r);
  if (declared === null) return needed;
  if (declared < needed) throw new Error(`${r.what}: the input '${r.inputs[0]}' has ${declared} columns but the model reads column ${needed - 1}`);
  return declared;
}

/** The state a vigil-written file keeps in metadata, or null for a file from elsewhere. */
export interface VigilDetectorMeta {
  type: string;
  config: JSONObject;
  fitted: JSONObject;
  threshold: number;
  preprocessing: JSONObject | null;
}

export function vigilMetadata(r: GraphReader): VigilDetectorMeta | null {
  const m = r.metadata();
  checkVigilFile(m, r.what);
  if (m[META.kind] !== 'detector') return null;
  const type = m[META.detector];
  if (!type) throw new Error(`${r.what}: metadata '${META.kind}' is 'detector' but '${META.detector}' is missing`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(m[META.config] ?? '');
  } catch {
    throw new Error(`${r.what}: metadata '${META.config}' is missing or not JSON`);
  }
  const p = parsed as { config?: unknown; fitted?: unknown };
  const isObj = (v: unknown): v is JSONObject => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(p) || !isObj(p.config) || !isObj(p.fitted)) throw new Error(`${r.what}: metadata '${META.config}' must hold { config, fitted } objects`);
  const threshold = Number(m[META.threshold]);
  if (m[META.threshold] === undefined || !Number.isFinite(threshold)) {
    throw new Error(`${r.what}: metadata '${META.threshold}' must be a finite number, got ${JSON.stringify(m[META.threshold])}`);
  }
  let preprocessing: unknown = null;
  if (m[META.preprocessing] !== undefined) {
    try {
      preprocessing = JSON.parse(m[META.preprocessing]);
    } catch {
      throw new Error(`${r.what}: metadata '${META.preprocessing}' is not JSON`);
    }
    if (!isObj(preprocessing)) throw new Error(`${r.what}: metadata '${META.preprocessing}' must hold a JSON object`);
  }
  return { type, config: p.config, fitted: p.fitted, threshold, preprocessing: preprocessing as JSONObject | null };
}

/**
 * The exact value metadata keeps when the graph's float32 copy of it agrees (a file vigil wrote and
 * nobody edited), else the graph's: the graph is what onnxruntime runs.
 */
export function preferExact(exact: number | undefined, graphValue: number): number {
  return exact !== undefined && Math.fround(exact) === Math.fround(graphValue) ? exact : graphValue;
}

/** The constant of vigil's `scores = Sub(threshold, anomaly_score)`, or null when the graph has none. */
export function graphThreshold(r: GraphReader): number | null {
  const sub = r.producer.get(OUTPUTS.scores);
  if (sub?.op_type !== 'Sub' || sub.input?.[1] !== OUTPUTS.anomaly || !r.isConstant(sub.input[0] ?? '')) return null;
  return scalarConstant(r, sub.input[0]!, sub);
}

/** A constant that must hold one number. */
export function scalarConstant(r: GraphReader, name: string, user: NodeProto): number {
  if (!r.isConstant(name)) throw new Error(`${r.what}: ${nodeName(user)} needs a constant for '${name}'`);
  const v = tensorValues(r.tensor(name), r.what);
  if (v.length !== 1) throw new Error(`${r.what}: ${nodeName(user)}: constant '${name}' holds ${v.length} values, expected 1`);
  return v[0]!;
}

/** A tensor's values at full precision (double tensors stay double), length checked against its dims. */
export function tensorValues(t: TensorProto, what: string): Float64Array {
  const n = (t.dims ?? []).reduce((a, b) => a * b, 1);
  const raw = t.raw_data && t.raw_data.byteLength > 0 ? t.raw_data : undefined;
  if (t.data_type === DataType.DOUBLE && raw) {
    if (raw.byteLength !== n * 8) throw new Error(`${what}: tensor '${t.name}' holds ${raw.byteLength} bytes, its dims [${t.dims ?? []}] need ${n * 8}`);
    const bytes = raw.slice();
    const view = new DataView(bytes.buffer);
    return Float64Array.from({ length: n }, (_, k) => view.getFloat64(k * 8, true));
  }
  if (t.data_type === DataType.DOUBLE) {
    const d = t.double_data ?? [];
    if (d.length !== n) throw new Error(`${what}: tensor '${t.name}' holds ${d.length} values, its dims [${t.dims ?? []}] need ${n}`);
    return Float64Array.from(d);
  }
  return Float64Array.from(tensorToFloat32(t, what));
}
