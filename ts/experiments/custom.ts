// A user's own labelled text: read a CSV (which column holds the text and which the label is the
// caller's choice), train vigil's default recipe on it and save a model file that scores raw
// strings; load such a file and score another CSV. `vigil train` and `vigil score` are thin flag
// parsers over this module.
//
// Documented behaviour on awkward input (the "Bad input"):
// - labels must be 0 or 1 unless `positive` names one of exactly two label values (that one
//   becomes 1, the other 0; the mapping is saved with the model so `score` reads the same values);
// - the tokenizer is fitted on the training rows only; a character it never saw maps to the
//   recipe's OOV index (the default recipe has one), so it still counts as "unusual";
// - texts are used as they are (no trimming; the tokenizer lower-cases);
// - a text longer than maxlen keeps its last maxlen characters (Keras' truncating 'pre');
// - an empty text is a row of padding with length 0: the LSTM runs no step and the score is the
//   output layer's response to the LSTM's zero initial state, the same for every empty text.
import type { Callback } from '../models/callbacks.ts';
import { binaryCounts, prAuc, rocAuc } from '../models/metrics.ts';
import { permutation, takeRows, trainTestSplit } from '../models/preprocessing/split.ts';
import { CharTokenizer } from '../models/preprocessing/tokenizer.ts';
import { Sequential } from '../models/sequential.ts';
import { ModelFileError, Preprocessing, readModelFile, sequentialFromFile } from '../models/serialize.ts';
import type { DecodedModelFile } from '../models/serialize.ts';
import type { ConfigValue } from '../models/layers/layer.ts';
import { defaultRecipe } from './default.ts';
import { recipeCallbacks } from './run.ts';
import type { Recipe } from './run.ts';
import { CustomDataError } from './custom_csv.ts';

// The CSV reader lives in its own module, free of the model code, so its async form's worker loads little.
export { CustomDataError, readCustomCsv, readCustomCsvAsync } from './custom_csv.ts';
export type { CsvColumnsOptions, CustomData } from './custom_csv.ts';


/** Metrics of 0/1 labels against scores; the AUCs are NaN when only one class is present. */
export interface ScoreMetrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  rocAuc: number;
  prAuc: number;
}

export function scoreMetrics(labels: Int32Array, scores: Float32Array, threshold = 0.5): ScoreMetrics {
  const c = binaryCounts(labels, scores, threshold, 'scoreMetrics');
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  const p = ratio(c.tp, c.tp + c.fp);
  const r = ratio(c.tp, c.tp + c.fn);
  const both = c.tp + c.fn > 0 && c.tn + c.fp > 0;
  return {
    accuracy: (c.tp + c.tn) / labels.length,
    precision: p,
    recall: r,
    f1: p + r === 0 ? 0 : (2 * p * r) / (p + r),
    rocAuc: both ? rocAuc(labels, scores) : NaN,
    prAuc: both ? prAuc(labels, scores) : NaN,
  };
}

export interface TrainCustomOptions {
  /** Row length; longer texts keep their last maxlen characters (default 256). */
  maxlen?: number;
  /** Epoch cap (default the recipe's, 40, under early stopping). */
  epochs?: number;
  /** Share of the rows held out (stratified) for early stopping and the reported metrics; 0: none (default 0.1). */
  validationSplit?: number;
  /** Seed of the split, the weights, shuffling and dropout (default 42). */
  seed?: number;
  /** Model and training (default vigil's default recipe, ts/experiments/default.ts). */
  recipe?: Recipe;
  /** Free-form JSON saved with the model (merged into what this module saves). */
  extra?: { [key: string]: ConfigValue };
  callbacks?: Callback[];
  onStart?(info: { trainRows: number; validationRows: number; vocabSize: number; epochs: number; batchesPerEpoch: number }): void;
  signal?: AbortSignal;
}

export interface TrainCustomResult {
  model: Sequential;
  preprocessing: Preprocessing;
  /** On the validation rows, or on the training rows when validationSplit is 0. */
  metrics: ScoreMetrics;
  metricsOn: 'validation' | 'training';
  trainRows: number;
  validationRows: number;
  vocabSize: number;
  maxlen: number;
  epochsRun: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  trainSeconds: number;
  describe: string;
}

function checkCounts(labels: Int32Array, validationSplit: number): void {
  let pos = 0;
  for (const l of labels) pos += l;
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) throw new CustomDataError(`training needs both classes, but every label is ${pos === 0 ? 0 : 1}`);
  if (validationSplit > 0 && Math.min(pos, neg) < 2) {
    throw new CustomDataError(`class ${pos < neg ? 1 : 0} has only 1 row: a stratified validation split needs at least 2 of each class (or --validation-split 0)`);
  }
  if (validationSplit > 0 && Math.ceil(validationSplit * labels.length) >= labels.length) {
    throw new CustomDataError(`--validation-split ${validationSplit} leaves no training rows out of ${labels.length}`);
  }
}

/** Trains the recipe (default: vigil's) on labelled texts; the result's model and preprocessing are ready to save. */
export async function trainCustom(data: { texts: string[]; labels: Int32Array }, opts: TrainCustomOptions = {}): Promise<TrainCustomResult> {
  const recipe = opts.recipe ?? defaultRecipe;
  const { maxlen = 256, validationSplit = 0.1, seed = 42 } = opts;
  const epochs = opts.epochs ?? recipe.epochs;
  if (!Number.isInteger(maxlen) || maxlen < 1) throw new RangeError(`maxlen must be a positive integer, got ${maxlen}`);
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`epochs must be a positive integer, got ${epochs}`);
  if (!(validationSplit >= 0 && validationSplit < 1)) throw new RangeError(`validationSplit must be in [0, 1), got ${validationSplit}`);
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  const n = data.texts.length;
  if (n !== data.labels.length) throw new RangeError(`${n} texts but ${data.labels.length} labels`);
  if (n < 2) throw new CustomDataError(`training needs at least 2 rows, got ${n}`);
  checkCounts(data.labels, validationSplit);

  // Our own stratified split rather than fit's validationSplit: fit holds out the LAST rows, and a
  // user's file is often sorted by label.
  const split = validationSplit > 0
    ? trainTestSplit(n, { testSize: validationSplit, seed, stratify: data.labels })
    : { train: permutation(n, seed), test: new Int32Array(0) };
  const trainTexts = takeRows(data.texts, split.train);
  const yTrain = takeRows(data.labels, split.train);
  const valTexts = takeRows(data.texts, split.test);
  const yVal = takeRows(data.labels, split.test);

  // The vocabulary comes from the training rows only, so validation measures unseen characters too.
  const tokenizer = new CharTokenizer(recipe.tokenizer).fitOnTexts(trainTexts);
  const preprocessing = new Preprocessing({
    tokenizer,
    pad: { maxlen, padding: 'pre', truncating: 'pre', value: 0 },
    extra: { trainedBy: 'vigil train', recipe: recipe.describe, ...opts.extra },
  });
  const xTrain = preprocessing.encode(trainTexts);
  const xVal = split.test.length > 0 ? preprocessing.encode(valTexts) : null;

  const model = new Sequential(recipe.layers(tokenizer.vocabSize), { seed });
  model.compile({ loss: 'binary_crossentropy', optimizer: recipe.optimizer, metrics: ['accuracy'] });
  opts.onStart?.({
    trainRows: trainTexts.length, validationRows: valTexts.length, vocabSize: tokenizer.vocabSize, epochs,
    batchesPerEpoch: Math.ceil(trainTexts.length / recipe.batchSize),
  });
  const { stopper, callbacks } = recipeCallbacks(recipe, xVal !== null);
  const t0 = performance.now();
  const history = await model.fit(xTrain, Float32Array.from(yTrain), {
    epochs,
    batchSize: recipe.batchSize,
    ...(xVal ? { validationData: [xVal, Float32Array.from(yVal)] as [typeof xVal, Float32Array] } : {}),
    seed,
    callbacks: [...callbacks, ...(opts.callbacks ?? [])],
    signal: opts.signal,
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  if (history.aborted) throw new DOMException('training was aborted', 'AbortError');

  const scored = xVal ?? xTrain;
  const scores = await model.predict(scored, { batchSize: 512 });
  const epochsRun = history.epochs.length;
  return {
    model,
    preprocessing,
    metrics: scoreMetrics(xVal ? yVal : yTrain, scores.data),
    metricsOn: xVal ? 'validation' : 'training',
    trainRows: trainTexts.length,
    validationRows: valTexts.length,
    vocabSize: tokenizer.vocabSize,
    maxlen,
    epochsRun,
    bestEpoch: stopper?.restoreBestWeights && stopper.bestEpoch >= 0 ? stopper.bestEpoch + 1 : epochsRun,
    stoppedEarly: history.stoppedEarly,
    trainSeconds,
    describe: recipe.describe,
  };
}

/** A model file loaded for scoring raw strings. */
export interface ScoringModel {
  model: Sequential;
  preprocessing: Preprocessing;
  /** [negative, positive] label values the model was trained with, or null for 0/1. */
  labelNames: [string, string] | null;
  /** The training file's text column name, when it was saved. */
  textColumn: string | null;
}

/** Loads a model file for scoring: it must carry a tokenizer and end in one sigmoid-like output. */
export async function loadScoringModel(path: string): Promise<ScoringModel> {
  return scoringModelFromFile(await readModelFile(path), path);
}

/** loadScoringModel on a file already read and decoded (the CLI reads the header first). */
export function scoringModelFromFile(file: DecodedModelFile, path: string): ScoringModel {
  const { model, preprocessing } = sequentialFromFile(Sequential, file, path);
  if (!preprocessing?.tokenizer) {
    throw new ModelFileError(path, 'bad-config', 'the model was saved without a tokenizer, so it cannot score raw strings ' +
      '(save it with { preprocessing: { tokenizer, pad } }, as vigil train does)');
  }
  const out = model.layers[model.layers.length - 1].outputShape;
  if (out.length !== 1 || out[0] !== 1) {
    throw new ModelFileError(path, 'bad-config', `the model's output has shape [${out.join(', ')}]; scoring needs a binary model with one output`);
  }
  const extra = preprocessing.extra ?? {};
  const ln = extra.labelNames;
  const labelNames = Array.isArray(ln) && ln.length === 2 && ln.every((v) => typeof v === 'string') ? [ln[0] as string, ln[1] as string] as [string, string] : null;
  const textColumn = typeof extra.textColumn === 'string' ? extra.textColumn : null;
  return { model, preprocessing, labelNames, textColumn };
}

/** One score per text (the model's output, a probability of label 1). */
export async function scoreTexts(m: ScoringModel, texts: string[]): Promise<Float32Array> {
  if (texts.length === 0) return new Float32Array(0);
  const out = await m.model.predict(m.preprocessing.encode(texts), { batchSize: 512 });
  return out.data;
}
