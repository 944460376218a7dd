// The one runner every experiment shares: load, split, tokenize on the training rows only, pad,
// build, fit, score the held-out rows, report. An experiment module only says what differs: its
// data, split and maxlen, and the notebook's model (the `seed` protocol); the `default` protocol
// is vigil's own recipe, the same for every experiment (ts/experiments/default.ts).
import { EarlyStopping, ReduceLROnPlateau } from '../models/callbacks.ts';
import type { Callback, EarlyStoppingOptions, ReduceLROnPlateauOptions } from '../models/callbacks.ts';
import type { TextDataset } from '../models/datasets.ts';
import type { Layer } from '../models/layers/layer.ts';
import { binaryMetrics } from '../models/metrics.ts';
import type { BinaryMetrics } from '../models/metrics.ts';
import type { OptimizerSpec } from '../models/optimizers.ts';
import { CharTokenizer } from '../models/preprocessing/tokenizer.ts';
import type { CharTokenizerOptions } from '../models/preprocessing/tokenizer.ts';
import { padSequences } from '../models/preprocessing/pad.ts';
import { groupTrainTestSplit, takeRows, trainTestSplit } from '../models/preprocessing/split.ts';
import { Sequential } from '../models/sequential.ts';
import { tensor } from '../models/tensor.ts';
import { defaultRecipe } from './default.ts';

export type ProtocolName = 'seed' | 'default';
export const PROTOCOLS: readonly ProtocolName[] = ['seed', 'default'];

/** A model and how to train it. */
export interface Recipe {
  /** One line for the report, e.g. "Embedding(V,32) -> LSTM(128) -> Dense(1, sigmoid), Adam 2e-3". */
  describe: string;
  layers(vocabSize: number): Layer[];
  optimizer: OptimizerSpec;
  /** The epoch budget (a cap when earlyStopping is set). */
  epochs: number;
  batchSize: number;
  /** Share of the training rows fit holds out (its last rows; the split already shuffled them). */
  validationSplit?: number;
  earlyStopping?: EarlyStoppingOptions;
  /** Lower the learning rate when the validation loss stalls (needs validation data, as earlyStopping). */
  reduceLrOnPlateau?: ReduceLROnPlateauOptions;
  tokenizer?: CharTokenizerOptions;
}

/** The callbacks a recipe asks for (its early stopping first, so reports can find it). */
export function recipeCallbacks(recipe: Recipe, hasValidation: boolean): { stopper: EarlyStopping | null; callbacks: Callback[] } {
  if (!hasValidation) return { stopper: null, callbacks: [] };
  const stopper = recipe.earlyStopping ? new EarlyStopping(recipe.earlyStopping) : null;
  const reducer = recipe.reduceLrOnPlateau ? new ReduceLROnPlateau(recipe.reduceLrOnPlateau) : null;
  return { stopper, callbacks: [stopper, reducer].filter((c): c is EarlyStopping | ReduceLROnPlateau => c !== null) };
}

export interface Experiment {
  id: string;
  title: string;
  /** Sequences are pre-padded and pre-truncated (the last maxlen characters kept) to this. */
  maxlen: number;
  /** Held-out share of the split. */
  testSize: number;
  /** Keep the label balance in both parts of the split. */
  stratify: boolean;
  /** The protocol's split seed (SEEDS.md). */
  splitSeed: number;
  /** Reads the bundled data, or a file in the same format (the bundled experiments' on a worker thread). */
  load(path?: string): TextDataset | Promise<TextDataset>;
  /** The notebook's model, optimiser and epochs. */
  seed: Recipe;
}

export interface RunOptions {
  protocol?: ProtocolName;
  /** Your own model and training instead of the protocol's (the data, split and maxlen stay). */
  recipe?: Recipe;
  /** Overrides the recipe's epoch budget. */
  epochs?: number;
  /** Seed of the split and of the model (weights, shuffling, dropout); default the protocol's split seed. */
  seed?: number;
  /** Data file in the experiment's format instead of the bundled one. */
  dataPath?: string;
  /** Train on all of the data and score this file (same format) instead of a split. */
  testPath?: string;
  /** Use only this many rows of the data (a seeded, label-stratified subset): for smoke tests. */
  limit?: number;
  /** Extra fit callbacks (progress display, logging). */
  callbacks?: Callback[];
  /** Told once the data is ready, before training starts. */
  onStart?(info: StartInfo): void;
  signal?: AbortSignal;
}

export interface StartInfo {
  experiment: string;
  protocol: ProtocolName;
  recipe: Recipe;
  trainRows: number;
  testRows: number;
  vocabSize: number;
  epochs: number;
  /** Batches per epoch (after the validation split). */
  batchesPerEpoch: number;
}

export interface ExperimentReport {
  experiment: string;
  protocol: ProtocolName;
  model: string;
  metrics: BinaryMetrics;
  /** Wall time of fit (every epoch, validation included). */
  trainSeconds: number;
  /** Wall time of predict over the test rows. */
  scoreSeconds: number;
  /** Training throughput: rows fitted per epoch × epochs run / trainSeconds. */
  samplesPerSecond: number;
  epochSeconds: number[];
  epochsRun: number;
  /** Epoch (1-based) whose weights were kept; the last one without early stopping. */
  bestEpoch: number;
  /** That epoch's loss and metrics on fit's validation rows (null without a validation split):
   * what recipes are compared on, never the test rows. */
  validation: { loss: number; metrics: Record<string, number> } | null;
  stoppedEarly: boolean;
  trainRows: number;
  testRows: number;
  vocabSize: number;
  maxlen: number;
}

/** The --json object: exactly these keys (see the issue). */
export interface ReportJSON {
  experiment: string;
  metrics: BinaryMetrics;
  trainSeconds: number;
  scoreSeconds: number;
  samplesPerSecond: number;
}

export function reportJSON(r: ExperimentReport): ReportJSON {
  return {
    experiment: r.experiment,
    metrics: { ...r.metrics },
    trainSeconds: r.trainSeconds,
    scoreSeconds: r.scoreSeconds,
    samplesPerSecond: r.samplesPerSecond,
  };
}

export function recipeFor(exp: Experiment, protocol: ProtocolName): Recipe {
  if (protocol === 'seed') return exp.seed;
  if (protocol === 'default') return defaultRecipe;
  throw new RangeError(`protocol must be one of ${PROTOCOLS.join(', ')}, got ${JSON.stringify(protocol)}`);
}

function subset(data: TextDataset, limit: number, seed: number): TextDataset {
  if (!Number.isInteger(limit) || limit < 4) throw new RangeError(`limit must be an integer >= 4, got ${limit}`);
  if (limit >= data.texts.length) return data;
  const { test } = trainTestSplit(data.texts.length, { testSize: limit, seed, stratify: data.labels });
  const rows = { texts: takeRows(data.texts, test), labels: takeRows(data.labels, test) };
  return data.groups ? { ...rows, groups: takeRows(data.groups, test) } : rows;
}

function encode(tok: CharTokenizer, texts: string[], maxlen: number) {
  const p = padSequences(tok.textsToSequences(texts), { maxlen, padding: 'pre', truncating: 'pre' });
  return { tokens: tensor(p.tokens, [p.batch, p.time]), lengths: p.lengths };
}

/** Runs one experiment end to end and reports its held-out metrics and timings. */
export async function runExperiment(exp: Experiment, opts: RunOptions = {}): Promise<ExperimentReport> {
  const protocol = opts.protocol ?? 'default';
  const recipe = opts.recipe ?? recipeFor(exp, protocol);
  const seed = opts.seed ?? exp.splitSeed;
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  const epochs = opts.epochs ?? recipe.epochs;
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`epochs must be a positive integer, got ${epochs}`);

  let data = await exp.load(opts.dataPath);
  if (opts.limit !== undefined) data = subset(data, opts.limit, seed);
  let train: TextDataset;
  let test: TextDataset;
  if (opts.testPath !== undefined) {
    train = data;
    test = await exp.load(opts.testPath);
    if (opts.limit !== undefined) test = subset(test, opts.limit, seed);
  } else {
    // A data set with groups (CSIC's GET/POST twins) splits by group, so no test row has a twin in training.
    const stratify = exp.stratify ? data.labels : undefined;
    const s = data.groups
      ? groupTrainTestSplit(data.groups, { testSize: exp.testSize, seed, stratify })
      : trainTestSplit(data.texts.length, { testSize: exp.testSize, seed, stratify });
    train = { texts: takeRows(data.texts, s.train), labels: takeRows(data.labels, s.train) };
    test = { texts: takeRows(data.texts, s.test), labels: takeRows(data.labels, s.test) };
  }

  // ROC and PR AUC need both classes among the test rows (a small limit can leave one): say so
  // before the training, not after it.
  const classes = [...new Set(test.labels)];
  if (classes.length < 2) {
    throw new RangeError(`runExperiment: the ${test.labels.length} test row(s) hold only class ${classes.join('') || '(none)'}; ` +
      'the metrics need both classes (a larger limit, or test data with both)');
  }

  // The vocabulary comes from the training rows only: test characters never seen are unknown.
  const tok = new CharTokenizer(recipe.tokenizer).fitOnTexts(train.texts);
  const xTrain = encode(tok, train.texts, exp.maxlen);
  const xTest = encode(tok, test.texts, exp.maxlen);
  const yTrain = Float32Array.from(train.labels);

  const model = new Sequential(recipe.layers(tok.vocabSize), { seed });
  model.compile({ loss: 'binary_crossentropy', optimizer: recipe.optimizer, metrics: ['accuracy'] });
  const fitted = recipe.validationSplit ? Math.floor(train.texts.length * (1 - recipe.validationSplit)) : train.texts.length;
  opts.onStart?.({
    experiment: exp.id, protocol, recipe, trainRows: train.texts.length, testRows: test.texts.length,
    vocabSize: tok.vocabSize, epochs, batchesPerEpoch: Math.ceil(fitted / recipe.batchSize),
  });

  const { stopper, callbacks } = recipeCallbacks(recipe, (recipe.validationSplit ?? 0) > 0);
  const t0 = performance.now();
  const history = await model.fit(xTrain, yTrain, {
    epochs,
    batchSize: recipe.batchSize,
    validationSplit: recipe.validationSplit ?? 0,
    seed,
    callbacks: [...callbacks, ...(opts.callbacks ?? [])],
    signal: opts.signal,
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  if (history.aborted) throw new DOMException('the experiment was aborted', 'AbortError');

  const t1 = performance.now();
  const scores = await model.predict(xTest, { batchSize: 512 });
  const scoreSeconds = (performance.now() - t1) / 1000;
  const epochsRun = history.epochs.length;
  const restored = stopper?.restoreBestWeights && stopper.bestEpoch >= 0;
  const bestEpoch = restored ? (stopper as EarlyStopping).bestEpoch + 1 : epochsRun;
  const kept = history.epochs[bestEpoch - 1];
  return {
    experiment: exp.id,
    protocol,
    model: recipe.describe,
    metrics: binaryMetrics(test.labels, scores.data),
    trainSeconds,
    scoreSeconds,
    samplesPerSecond: (fitted * epochsRun) / trainSeconds,
    epochSeconds: history.epochs.map((e) => e.seconds),
    epochsRun,
    bestEpoch,
    validation: kept?.valLoss !== undefined ? { loss: kept.valLoss, metrics: { ...kept.valMetrics } } : null,
    stoppedEarly: history.stoppedEarly,
    trainRows: train.texts.length,
    testRows: test.texts.length,
    vocabSize: tok.vocabSize,
    maxlen: exp.maxlen,
  };
}

/** The metrics table the CLI and `npm start` print. */
export function formatReport(r: ExperimentReport): string {
  const m = r.metrics;
  const f = (v: number) => v.toFixed(4);
  const mean = r.epochSeconds.reduce((a, b) => a + b, 0) / Math.max(1, r.epochSeconds.length);
  const rows: Array<[string, string]> = [
    ['accuracy', f(m.accuracy)],
    ['ROC AUC', f(m.rocAuc)],
    ['PR AUC', f(m.prAuc)],
    ['F1', f(m.f1)],
    ['precision', f(m.precision)],
    ['recall', f(m.recall)],
    ['epochs run', `${r.epochsRun}${r.stoppedEarly ? ' (early stop)' : ''}, weights of epoch ${r.bestEpoch}`],
    ...(r.validation ? [['validation', `loss ${f(r.validation.loss)}, accuracy ${f(r.validation.metrics.accuracy ?? Number.NaN)} (that epoch)`] as [string, string]] : []),
    ['seconds / epoch', `${mean.toFixed(1)} (${r.epochSeconds.map((s) => s.toFixed(1)).join(', ')})`],
    ['train', `${r.trainSeconds.toFixed(1)} s, ${r.samplesPerSecond.toFixed(0)} seq/s`],
    ['score', `${r.scoreSeconds.toFixed(2)} s for ${r.testRows} rows`],
  ];
  const head = `${r.experiment} (protocol ${r.protocol}): ${r.trainRows} train / ${r.testRows} test rows, vocab ${r.vocabSize}, maxlen ${r.maxlen}`;
  const width = Math.max(...rows.map(([k]) => k.length));
  return [head, `  ${r.model}`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n');
}
