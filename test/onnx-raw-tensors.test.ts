// vigil's ONNX files as an outside engine runs them (Spark, Ray Data, Triton: docs/scaling.md): the test
// reads metadata_props from the file's bytes with a protobuf walk of its own, applies the `vigil.*`
// tokenizer, padding and TabularPipeline in plain code, as docs/scaling.md's Python does, feeds raw
// tensors to onnxruntime-node and compares with vigil's own predict / scoreSamples to 1e-5. No vigil
// code touches the consumer's side: only the exporting and the reference numbers are vigil's.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import {
  CharTokenizer, Dense, Embedding, GlobalMaxPooling1D, IsolationForest, LSTM, OneClassSVM, Preprocessing, Sequential, TabularPipeline,
} from '../ts/index.ts';
import type { Detector } from '../ts/models/detectors/detector.ts';
import type { ModelInput } from '../ts/models/sequential.ts';
import { exportOnnx } from '../ts/models/onnx/export/index.ts';
import { importOnnx } from '../ts/models/onnx/import/index.ts';
import { keepOnnx, randomizeWeights } from './helpers/onnx.ts';

const TOL = 1e-5;

// ---------------------------------------------------------------------------------------------
// The consumer's side: what a Spark/Ray/Triton user writes, from the file alone.

/** Protobuf varint at `at`: [value, next offset] (lengths and keys here stay far below 2^53). */
function varint(b: Uint8Array, at: number): [number, number] {
  let v = 0, mul = 1, i = at;
  for (;;) {
    const byte = b[i++]!;
    v += (byte & 0x7f) * mul;
    if (byte < 0x80) return [v, i];
    mul *= 128;
  }
}

/** The fields of one protobuf message: field number -> the raw bytes of its length-delimited values. */
function fields(b: Uint8Array): Map<number, Uint8Array[]> {
  const out = new Map<number, Uint8Array[]>();
  let i = 0;
  while (i < b.length) {
    const [key, j] = varint(b, i);
    const field = Math.floor(key / 8), wire = key % 8;
    if (wire === 0) i = varint(b, j)[1];
    else if (wire === 1) i = j + 8;
    else if (wire === 5) i = j + 4;
    else if (wire === 2) {
      const [len, k] = varint(b, j);
      out.set(field, [...(out.get(field) ?? []), b.subarray(k, k + len)]);
      i = k + len;
    } else throw new Error(`protobuf wire type ${wire} at byte ${i}`);
  }
  return out;
}

/** ModelProto.metadata_props (field 14: StringStringEntryProto { key = 1, value = 2 }), as onnxruntime's custom_metadata_map. */
function metadataProps(bytes: Uint8Array): Record<string, string> {
  const text = new TextDecoder();
  const meta: Record<string, string> = {};
  for (const entry of fields(bytes).get(14) ?? []) {
    const f = fields(entry);
    meta[text.decode(f.get(1)?.[0])] = text.decode(f.get(2)?.[0]);
  }
  return meta;
}

interface TokenizerMeta {
  config: { numWords: number | null; lower: boolean; oovToken: string | null; filters: string };
  wordIndex: Array<[string, number]>;
}
interface PaddingMeta { maxlen: number | null; padding: 'pre' | 'post'; truncating: 'pre' | 'post'; value: number }

/** `vigil.tokenizer` + `vigil.padding`: texts to the int64 [batch, time] the graph's `tokens` input takes. */
function encodeTexts(meta: Record<string, string>, texts: string[]): ort.Tensor {
  const tok = JSON.parse(meta['vigil.tokenizer']!) as TokenizerMeta;
  const pad = JSON.parse(meta['vigil.padding']!) as PaddingMeta;
  const index = new Map(tok.wordIndex);
  const { lower, filters, oovToken, numWords } = tok.config;
  const oov = oovToken === null ? null : index.get(oovToken) ?? null;
  const seqs = texts.map((t) => {
    const ids: number[] = [];
    for (const ch of lower ? t.toLowerCase() : t) { // code points, as Python iterates a str
      if (filters.includes(ch)) continue;
      const id = index.get(ch);
      if (id !== undefined && (numWords === null || id < numWords)) ids.push(id);
      else if (oov !== null) ids.push(oov);
    }
    return ids;
  });
  const T = pad.maxlen ?? Math.max(1, ...seqs.map((s) => s.length));
  const out = new BigInt64Array(texts.length * T).fill(BigInt(pad.value));
  seqs.forEach((s, r) => {
    const kept = s.length <= T ? s : pad.truncating === 'pre' ? s.slice(s.length - T) : s.slice(0, T);
    const at = r * T + (pad.padding === 'pre' ? T - kept.length : 0);
    kept.forEach((id, k) => (out[at + k] = BigInt(id)));
  });
  return new ort.Tensor('int64', out, [texts.length, T]);
}

type Cell = string | number;
interface PipelineMeta {
  config: { columns: string[]; features: string[]; log: string[]; clip: number | null };
  encoder: { config: { categorical: number[]; unknownValue: number | null }; categories: Array<Array<string | number>> };
  scaler: null | {
    type: 'StandardScaler' | 'MinMaxScaler';
    mean?: number[] | null; scale?: number[] | null;
    dataMin?: number[]; dataMax?: number[]; config: { featureRange?: [number, number]; clip?: boolean };
  };
}

/** `vigil.preprocessing` (a TabularPipeline): raw rows to the float32 [N, features] the graph's `X` takes. */
function tableFeatures(meta: Record<string, string>, rows: Cell[][]): ort.Tensor {
  const p = JSON.parse(meta['vigil.preprocessing']!) as PipelineMeta;
  const { columns, features, log, clip } = p.config;
  const F = features.length;
  const pick = features.map((f) => columns.indexOf(f));
  const codes = new Map(p.encoder.config.categorical.map((j, k) => [j, new Map(p.encoder.categories[k]!.map((c, code) => [c, code]))]));
  const logged = new Set(log.map((c) => features.indexOf(c)));
  const s = p.scaler;
  // MinMaxScaler: x * scale + min, with scale and min from the column extremes as scikit-learn's.
  const [a, b] = s?.config.featureRange ?? [0, 1];
  const mmScale = (s?.dataMax ?? []).map((mx, j) => { const r = mx - s!.dataMin![j]!; return (b - a) / (r < 10 * 2 ** -52 ? 1 : r); });
  const mmMin = (s?.dataMin ?? []).map((mn, j) => a - mn * mmScale[j]!);
  const x = new Float32Array(rows.length * F);
  rows.forEach((row, i) => {
    for (let j = 0; j < F; j++) {
      const cell = row[pick[j]!]!;
      const cat = codes.get(j);
      // Each step rounds to float32, as vigil's pipeline does (numpy: .astype(np.float32) after each step).
      let v = Math.fround(cat ? cat.get(cell) ?? p.encoder.config.unknownValue! : Number(cell));
      if (logged.has(j)) v = Math.fround(Math.sign(v) * Math.log1p(Math.abs(v)));
      if (s?.type === 'StandardScaler') v = Math.fround((v - (s.mean?.[j] ?? 0)) / (s.scale?.[j] ?? 1));
      if (s?.type === 'MinMaxScaler') {
        v = Math.fround(v * mmScale[j]! + mmMin[j]!);
        if (s.config.clip) v = Math.min(Math.fround(b), Math.max(Math.fround(a), v));
      }
      if (clip !== null) v = Math.fround(Math.min(clip, Math.max(-clip, v)));
      x[i * F + j] = v;
    }
  });
  return new ort.Tensor('float32', x, [rows.length, F]);
}

async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
}

// ---------------------------------------------------------------------------------------------
// Char-LSTM text classifier

const TRAIN_TEXTS = ['GET /index.html?id=1', "q=' OR 1=1 --", '<script>alert(1)</script>', 'user=bob&page=2', '/etc/passwd'];
// Upper case, characters the tokenizer never saw, one text longer than maxlen, an empty one.
const TEXTS = ['GET /Index.HTML?id=42', "' UNION SELECT * FROM users --", 'ünïcødé ☃ 🎉', '', 'x',
  '/a/very/long/path/that/goes/on/and/on/well/past/the/maximum/length?with=query&and=more'];

for (const variant of [
  { name: "'pre' padding, OOV token, numWords", tok: { oovToken: '<oov>', numWords: 14 }, pad: { maxlen: 32, padding: 'pre', truncating: 'pre' }, maskZero: false },
  { name: "'post' padding without maskZero, unseen characters dropped", tok: { filters: '&' }, pad: { maxlen: 24, padding: 'post', truncating: 'post' }, maskZero: false },
] as const) {
  test(`char-LSTM classifier (${variant.name}): texts through the file's metadata give vigil's predict to ${TOL}`, async () => {
    const tokenizer = new CharTokenizer(variant.tok).fitOnTexts(TRAIN_TEXTS);
    const model = new Sequential([new Embedding(tokenizer.vocabSize, 6, { maskZero: variant.maskZero }), new LSTM(8, { returnSequences: true }),
      new GlobalMaxPooling1D(), new Dense(1, { activation: 'sigmoid' })], { seed: 5, name: 'urls' });
    model.build([null]);
    randomizeWeights(model, 9);
    const pre = new Preprocessing({ tokenizer, pad: variant.pad });
    const bytes = await exportOnnx(model, null, { preprocessing: pre });
    const encoded = pre.encode(TEXTS) as ModelInput;
    const ids = ('tokens' in encoded ? encoded.tokens : encoded) as { data: Int32Array; shape: number[] };
    keepOnnx(`raw_text_${variant.pad.padding}`, bytes, { texts: TEXTS, tokens: { shape: ids.shape, data: Array.from(ids.data) } });

    const meta = metadataProps(bytes);
    assert.is(meta['vigil.kind'], 'sequential');
    assert.is(meta['vigil.lengths'], variant.pad.padding === 'pre' ? 'from-ids' : 'none', 'nothing besides the ids to feed');
    const s = await session(bytes);
    try {
      assert.equal([s.inputNames, s.outputNames], [['tokens'], ['output']]);
      const tokens = encodeTexts(meta, TEXTS);
      const out = (await s.run({ tokens })).output!;
      const want = await model.predict(encoded);
      assert.equal(out.dims, [TEXTS.length, 1]);
      assert.equal(tokens.dims, [TEXTS.length, variant.pad.maxlen]);
      assert.equal(Array.from(tokens.data as BigInt64Array, Number), Array.from(ids.data), 'the ids vigil pads');
      const got = out.data as Float32Array;
      for (let i = 0; i < TEXTS.length; i++) {
        assert.ok(Math.abs(got[i]! - want.data[i]!) <= TOL, `text ${i} ${JSON.stringify(TEXTS[i])}: onnxruntime ${got[i]} vs vigil ${want.data[i]}`);
      }
      assert.ok(new Set(Array.from(want.data, (v) => v.toFixed(4))).size > 2, 'the texts score differently (a constant model proves nothing)');
    } finally {
      await s.release();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Detectors behind a TabularPipeline (KDD Cup 99 http rows)

const COLUMNS = ['duration', 'protocol_type', 'service', 'flag', 'src_bytes', 'dst_bytes', 'land', 'wrong_fragment'];
const kdd: Cell[][] = readFileSync(new URL('./fixtures/kdd_http_sample.csv', import.meta.url), 'utf8').trim().split('\n')
  .map((line) => line.split(',').slice(0, COLUMNS.length));
const TRAIN = kdd.slice(0, 300);
// Held-out rows, a numeric cell given as a number, and categories the pipeline never saw (ordinal code -1).
const SCORE: Cell[][] = [...kdd.slice(300), ['2', 'tcp', 'ftp', 'OTH', 99999, '0', '0', '3'], [0, 'tcp', 'http', 'SF', 215, 45076, 0, 0]];

for (const c of [
  { name: 'IsolationForest, standard scaling, log and clip', make: () => new IsolationForest({ nEstimators: 30, seed: 4 }), scale: 'standard', clip: 4 },
  { name: 'OneClassSVM, min-max scaling', make: () => new OneClassSVM({ nu: 0.05, gamma: 0.5 }), scale: 'minmax', clip: null },
] as const) {
  test(`${c.name}: raw rows through the file's vigil.preprocessing give vigil's scoreSamples to ${TOL}`, async () => {
    const det = c.make() as unknown as Detector<unknown>;
    det.preprocessing = new TabularPipeline({
      columns: COLUMNS, features: ['duration', 'service', 'flag', 'src_bytes', 'dst_bytes', 'wrong_fragment'],
      categorical: ['service', 'flag'], log: ['duration', 'src_bytes', 'dst_bytes'], scale: c.scale, clip: c.clip,
    });
    await det.fit(TRAIN);
    const bytes = await exportOnnx(det as never);
    const features = det.preprocessing!.transform(SCORE);
    keepOnnx(`raw_detector_${det.modelType}`, bytes, { rows: SCORE, X: { shape: features.shape, data: Array.from(features.data) } });

    const meta = metadataProps(bytes);
    assert.is(meta['vigil.kind'], 'detector');
    assert.is(meta['vigil.detector'], det.modelType);
    const threshold = Number(meta['vigil.threshold']);
    assert.is(threshold, det.threshold);
    assert.match(meta['vigil.score']!, /higher = more anomalous/);
    const s = await session(bytes);
    let out: ort.InferenceSession.ReturnType;
    const X = tableFeatures(meta, SCORE);
    assert.equal(Array.from(X.data as Float32Array), Array.from(features.data), 'the features vigil\'s pipeline makes');
    try {
      assert.equal([s.inputNames, s.outputNames], [['X'], ['label', 'scores', 'anomaly_score']]);
      out = await s.run({ X });
    } finally {
      await s.release();
    }
    const want = await det.scoreSamples(SCORE);
    const flagged = await det.predict(SCORE);
    const anomaly = out.anomaly_score!.data as Float32Array, scores = out.scores!.data as Float32Array, label = out.label!.data as BigInt64Array;
    assert.equal(out.anomaly_score!.dims, [SCORE.length, 1]);
    // An SVM's score is a difference of terms of size ρ: its float32 rounding is relative to that.
    const scale = Math.max(1, det instanceof OneClassSVM ? Math.abs(det.rho) : 0);
    let anomalies = 0;
    for (let i = 0; i < SCORE.length; i++) {
      const tol = TOL * Math.max(scale, Math.abs(want[i]!));
      assert.ok(Math.abs(anomaly[i]! - want[i]!) <= tol, `row ${i}: anomaly_score ${anomaly[i]} vs vigil ${want[i]}`);
      assert.ok(Math.abs(scores[i]! - (threshold - want[i]!)) <= tol, `row ${i}: scores ${scores[i]} vs threshold - vigil ${threshold - want[i]!}`);
      if (Math.abs(want[i]! - threshold) > tol) {
        assert.is(anomaly[i]! > threshold, flagged[i] === 1, `row ${i}: anomaly_score > vigil.threshold is vigil's predict`);
        assert.is(Number(label[i]), flagged[i] === 1 ? -1 : 1, `row ${i}: label`);
      }
      anomalies += flagged[i]!;
    }
    assert.ok(anomalies > 0 && anomalies < SCORE.length, `${anomalies} of ${SCORE.length} flagged: both kinds of row are checked`);

    // vigil reads the same file back whole: the pipeline comes back as the detector's preprocessing.
    const back = await importOnnx(bytes);
    assert.is(back.kind, 'detector');
    assert.equal(back.preprocessing?.table?.toJSON(), det.preprocessing!.toJSON());
    assert.equal(Array.from(await (back.model as Detector<unknown>).scoreSamples(SCORE)), Array.from(want));
  });
}

test.run();
