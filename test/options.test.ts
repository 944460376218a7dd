// Unknown option keys are a TypeError naming the function and the key (ts/models/options.ts): the
// helper's message and suggestion, then one misspelt option per public function that takes options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { knownAsyncOptions, knownOptions } from '../ts/models/options.ts';
import { throwsError, rejectsError } from './helpers/errors.ts';
import {
  ActivityRegularization, Bidirectional, Conv1D, Dense, Dot, Embedding, GlobalAveragePooling1D, GlobalMaxPooling1D, Input, LSTM, MaxPooling1D,
  NormalizedReLU, Sampling, SimpleRNN, TCN, UpSampling1D, Sequential, Model, Adam, RMSprop, Nadam, SGD, EarlyStopping, ReduceLROnPlateau,
  Preprocessing, tensor, IsolationForest, OneClassSVM, RBM, RbmEnsemble, Autoencoder, VariationalAutoencoder, LstmForecaster, TcnForecaster,
  LstmAutoencoder, AnomalyLikelihood, onlineForecastScores, dilatedTcnClassifier, edTcnClassifier, TcnClassifier,
  CharTokenizer, padSequences, trainTestSplit, groupTrainTestSplit, StandardScaler, MinMaxScaler, LabelEncoder, ColumnEncoder, TabularPipeline,
  slidingWindows, stepScores, CsvParser, csvRecords, parseCsv, readJsonLinesAsync, metrics, loadPhishingAsync, loadCsicAsync,
  loadHttpParamsAsync, loadKdd, loadKddAsync, readKdd, readKddAsync, loadCreditcardAsync, loadNabCorpus, loadNabCorpusAsync, readNabResults,
  readNabResultsAsync, scoreNab, nabPlotSpec, runNabLstm, runNabTcn, runCreditcardTcn, exportOnnx, emitSequential, detectorToOnnx, detectorToOnnxAsync, streamScores,
} from '../ts/index.ts';
import { OnnxModel } from '../ts/models/onnx/runtime/model.ts';
import { readTable, readTableAsync } from '../ts/experiments/table_csv.ts';
import { readCustomCsv, readCustomCsvAsync } from '../ts/experiments/custom_csv.ts';

/** A compiled one-layer model and a 2-row data set for the training calls. */
function tiny(): Sequential {
  const m = new Sequential([new Dense(1, { inputShape: [2] })]);
  m.compile({ loss: 'mse', optimizer: 'sgd' });
  return m;
}
const x = tensor(new Float32Array(4), [2, 2]);
const y = new Float32Array(2);
const rows8 = tensor(Float32Array.from({ length: 16 }, (_, i) => i % 5), [8, 2]);
const series = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i));

const FIT = ['epochs', 'batchSize', 'validationSplit'] as const;

test('knownOptions: known keys, undefined and {} pass', () => {
  knownOptions('fit', undefined, FIT);
  knownOptions('fit', {}, FIT);
  knownOptions('fit', { epochs: 1, batchSize: undefined }, FIT);
});

test('knownOptions: an unknown key names the function, the key and every option', () => {
  throwsError(() => knownOptions('fit', { epochs: 1, zzz: 2 }, FIT), TypeError,
    /^fit: unknown option 'zzz' \(options: epochs, batchSize, validationSplit\)$/);
});

test('knownOptions: a key present but undefined is still unknown', () => {
  throwsError(() => knownOptions('fit', { zzz: undefined }, FIT), TypeError, /^fit: unknown option 'zzz'/);
});

test('knownOptions: suggests a name equal but for case, or a small edit away', () => {
  const cases: [string, string][] = [
    ['batchsize', 'batchSize'], ['BATCHSIZE', 'batchSize'], ['epoch', 'epochs'], ['epochss', 'epochs'],
    ['validationSplt', 'validationSplit'], ['validatoinSplit', 'validationSplit'],
  ];
  for (const [typo, meant] of cases) {
    throwsError(() => knownOptions('fit', { [typo]: 1 }, FIT), TypeError,
      new RegExp(`^fit: unknown option '${typo}' \\(did you mean '${meant}'\\?; options: epochs, `));
  }
});

test('knownOptions: no suggestion when nothing is close', () => {
  for (const key of ['size', 'epochsAndMore', 'seed']) {
    const err = (() => { try { knownOptions('fit', { [key]: 1 }, FIT); } catch (e) { return e as Error; } })();
    assert.ok(err instanceof TypeError);
    assert.not.match(err.message, /did you mean/);
  }
});

test('knownOptions: options that are not an object', () => {
  throwsError(() => knownOptions('fit', null, FIT), TypeError, /^fit: options must be an object, got null$/);
  throwsError(() => knownOptions('fit', 3, FIT), TypeError, /^fit: options must be an object, got number$/);
  throwsError(() => knownOptions('fit', [1], FIT), TypeError, /^fit: options must be an object, got an array$/);
});

test('knownAsyncOptions: adds signal; leaves anything but an object to the sync form', () => {
  knownAsyncOptions('loadKddAsync', { service: 'http', signal: undefined }, ['service']);
  for (const v of [undefined, null, 3, [1]]) knownAsyncOptions('loadKddAsync', v, ['service']);
  throwsError(() => knownAsyncOptions('loadKddAsync', { signl: 1 }, ['service']), TypeError,
    /^loadKddAsync: unknown option 'signl' \(did you mean 'signal'\?; options: service, signal\)$/);
});

/** [function named in the message, the unknown key, a call that passes it]: one row per public function taking options. */
type Row = [fn: string, key: string, call: () => unknown];
const bad = { zzz: 1 } as never;
const rows: Row[] = [
  // Layers.
  ['Dense', 'activaton', () => new Dense(2, { activaton: 'relu' } as never)],
  ['Embedding', 'zzz', () => new Embedding(5, 2, bad)],
  ['LSTM', 'returnSequence', () => new LSTM(2, { returnSequence: true } as never)],
  ['SimpleRNN', 'zzz', () => new SimpleRNN(2, bad)],
  ['Conv1D', 'zzz', () => new Conv1D(2, 3, bad)],
  ['MaxPooling1D', 'zzz', () => new MaxPooling1D(2, bad)],
  ['UpSampling1D', 'zzz', () => new UpSampling1D(2, bad)],
  ['GlobalMaxPooling1D', 'zzz', () => new GlobalMaxPooling1D(bad)],
  ['GlobalAveragePooling1D', 'zzz', () => new GlobalAveragePooling1D(bad)],
  ['Bidirectional', 'zzz', () => new Bidirectional(new LSTM(2), bad)],
  ['TCN', 'zzz', () => new TCN(bad)],
  ['NormalizedReLU', 'zzz', () => new NormalizedReLU(bad)],
  ['ActivityRegularization', 'zzz', () => new ActivityRegularization(bad)],
  ['Sampling', 'zzz', () => new Sampling(2, bad)],
  ['Dot', 'zzz', () => new Dot(bad)],
  ['Input', 'zzz', () => Input({ shape: [3], zzz: 1 } as never)],
  // Models, training and saving.
  ['Sequential', 'zzz', () => new Sequential([], bad)],
  ['Model', 'zzz', () => { const i = Input({ shape: [2] }); return new Model({ inputs: i, outputs: new Dense(1).apply(i), zzz: 1 } as never); }],
  ['compile', 'lr', () => new Sequential([new Dense(1)]).compile({ loss: 'mse', lr: 0.1 } as never)],
  ['fit', 'batchsize', () => tiny().fit(x, y, { batchsize: 1 } as never)],
  ['evaluate', 'zzz', () => tiny().evaluate(x, y, bad)],
  ['predict', 'zzz', () => tiny().predict(x, bad)],
  ['save', 'zzz', () => tiny().save('/nonexistent/never-written.vgl', bad)],
  ['Preprocessing', 'zzz', () => new Preprocessing(bad)],
  ['preprocessing.pad', 'maxLen', () => new Preprocessing({ pad: { maxLen: 3 } as never })],
  // Optimizers (also through compile's named spec) and callbacks.
  ['Adam', 'lr', () => new Adam({ lr: 0.1 } as never)],
  ['RMSprop', 'zzz', () => new RMSprop(bad)],
  ['Nadam', 'zzz', () => new Nadam(bad)],
  ['SGD', 'clipNorm', () => new SGD({ clipNorm: 1 } as never)],
  ['Adam', 'momentum', () => tiny().compile({ loss: 'mse', optimizer: { name: 'adam', momentum: 0.9 } })],
  ['EarlyStopping', 'zzz', () => new EarlyStopping(bad)],
  ['ReduceLROnPlateau', 'zzz', () => new ReduceLROnPlateau(bad)],
  // Detectors: constructors and fit (the options each adds to the shared ones included).
  ['IsolationForest', 'nEstimator', () => new IsolationForest({ nEstimator: 5 } as never)],
  ['IsolationForest.fit', 'zzz', () => new IsolationForest({ nEstimators: 2 }).fit(rows8, bad)],
  ['OneClassSVM', 'zzz', () => new OneClassSVM(bad)],
  ['OneClassSVM.fit', 'zzz', () => new OneClassSVM().fit(rows8, bad)],
  ['RBM', 'hidden', () => new RBM({ hidden: 4 } as never)],
  ['RBM.fit', 'onEpochend', () => new RBM({ hiddenUnits: 2, epochs: 1 }).fit(rows8, { onEpochend: () => {} } as never)],
  ['RbmEnsemble', 'zzz', () => new RbmEnsemble(bad)],
  ['RbmEnsemble.fit', 'zzz', () => new RbmEnsemble({ members: 1, hiddenUnits: 2, epochs: 1 }).fit(rows8, bad)],
  ['Autoencoder', 'latent', () => new Autoencoder({ latent: 2 } as never)],
  ['Autoencoder.fit', 'zzz', () => new Autoencoder({ epochs: 1 }).fit(rows8, bad)],
  ['VariationalAutoencoder', 'encoding', () => new VariationalAutoencoder({ encoding: 2 } as never)],
  ['LstmForecaster', 'zzz', () => new LstmForecaster(bad)],
  ['TcnForecaster', 'units', () => new TcnForecaster({ units: 4 } as never)],
  ['LstmAutoencoder', 'horizon', () => new LstmAutoencoder({ horizon: 2 } as never)],
  ['LstmForecaster.fit', 'zzz', () => new LstmForecaster({ window: 4, units: 2, epochs: 1 }).fit({ values: series }, bad)],
  ['LstmForecaster.partialFit', 'zzz', async () => {
    const d = await new LstmForecaster({ window: 4, units: 2, epochs: 1 }).fit({ values: series });
    return d.partialFit({ values: series }, bad);
  }],
  ['AnomalyLikelihood', 'zzz', () => new AnomalyLikelihood(bad)],
  ['onlineForecastScores', 'zzz', () => onlineForecastScores({ values: series }, { trainSteps: 20, zzz: 1 } as never)],
  ['onlineForecastScores: model', 'filters', () => onlineForecastScores({ values: series }, { trainSteps: 20, model: { filters: 4 } as never })],
  ['onlineForecastScores: likelihood', 'zzz', () => onlineForecastScores({ values: series }, { trainSteps: 20, likelihood: bad })],
  // TCN classifiers.
  ['dilatedTcnClassifier', 'zzz', () => dilatedTcnClassifier({ timesteps: 8, channels: 1, classes: 2, zzz: 1 } as never)],
  ['edTcnClassifier', 'zzz', () => edTcnClassifier({ timesteps: 8, channels: 1, classes: 2, zzz: 1 } as never)],
  ['TcnClassifier', 'poolPadding', () => new TcnClassifier({ poolPadding: 'same' } as never)],
  ['TcnClassifier.fit', 'zzz', () => new TcnClassifier({ filters: 2, dilations: [1] }).fit(tensor(new Float32Array(16), [2, 8]), [0, 1], bad)],
  // Preprocessing and metrics.
  ['CharTokenizer', 'numwords', () => new CharTokenizer({ numwords: 5 } as never)],
  ['padSequences', 'maxLen', () => padSequences([[1, 2]], { maxLen: 3 } as never)],
  ['trainTestSplit', 'test_size', () => trainTestSplit(4, { test_size: 0.5 } as never)],
  ['groupTrainTestSplit', 'shuffle', () => groupTrainTestSplit([0, 0, 1, 1], { shuffle: false } as never)],
  ['StandardScaler', 'with_mean', () => new StandardScaler({ with_mean: false } as never)],
  ['MinMaxScaler', 'range', () => new MinMaxScaler({ range: [0, 1] } as never)],
  ['LabelEncoder', 'zzz', () => new LabelEncoder(bad)],
  ['ColumnEncoder', 'categoricals', () => new ColumnEncoder({ categoricals: [0] } as never)],
  ['TabularPipeline', 'scaler', () => new TabularPipeline({ columns: ['a'], scaler: 'standard' } as never)],
  ['slidingWindows', 'step', () => slidingWindows(series, { window: 4, step: 2 } as never)],
  ['stepScores', 'zzz', () => stepScores([1], [0], { window: 1, length: 1, reduce: 'max', zzz: 1 } as never)],
  ['CsvParser', 'separator', () => new CsvParser({ separator: ';' } as never)],
  ['csvRecords', 'zzz', () => csvRecords('a,b\n', bad).next()],
  ['parseCsv', 'delimeter', () => parseCsv('a;b\n', { delimeter: ';' } as never)],
  ['classificationReport', 'target_names', () => metrics.classificationReport([0, 1], [0, 1], { target_names: ['a', 'b'] } as never)],
  // Data loaders: the async forms take `signal` besides the sync forms' options.
  ['readJsonLinesAsync', 'signl', () => readJsonLinesAsync('x.jsonl', { signl: null } as never)],
  ['loadPhishingAsync', 'zzz', () => loadPhishingAsync(undefined, bad)],
  ['loadCsicAsync', 'zzz', () => loadCsicAsync(undefined, bad)],
  ['loadHttpParamsAsync', 'zzz', () => loadHttpParamsAsync(undefined, bad)],
  ['loadCreditcardAsync', 'zzz', () => loadCreditcardAsync(undefined, bad)],
  ['readKdd', 'services', () => readKdd('x.csv', { services: 'http' } as never)],
  ['loadKdd', 'zzz', () => loadKdd('x.csv', bad)],
  ['loadKddAsync', 'zzz', () => loadKddAsync('x.csv', bad)],
  ['readKddAsync', 'services', () => readKddAsync('x.csv', { services: 'http' } as never)],
  ['readTable', 'zzz', () => readTable('x.csv', bad)],
  ['readTableAsync', 'zzz', () => readTableAsync('x.csv', bad)],
  ['readCustomCsv', 'zzz', () => readCustomCsv('x.csv', { textColumn: 'a', zzz: 1 } as never)],
  ['readCustomCsvAsync', 'zzz', () => readCustomCsvAsync('x.csv', { textColumn: 'a', zzz: 1 } as never)],
  // NAB.
  ['loadNabCorpus', 'windows', () => loadNabCorpus('/nonexistent', { windows: 'w.json' } as never)],
  ['loadNabCorpusAsync', 'zzz', () => loadNabCorpusAsync('/nonexistent', bad)],
  ['readNabResults', 'detectors', () => readNabResults('/nonexistent', { series: [] } as never, { detectors: 'x' } as never)],
  ['readNabResultsAsync', 'zzz', () => readNabResultsAsync('/nonexistent', { series: [] } as never, bad)],
  ['scoreNab', 'probation', () => scoreNab({ series: [], profiles: {} } as never, new Map(), { probation: 0.1 } as never)],
  ['runNabLstm', 'epoch', () => runNabLstm({ epoch: 1 } as never)],
  ['runNabTcn', 'zzz', () => runNabTcn(bad)],
  ['runCreditcardTcn', 'kind', () => runCreditcardTcn({ kind: 'ed' } as never)],
  ['nabPlotSpec', 'zzz', () => nabPlotSpec({} as never, [], { threshold: 0.5, zzz: 1 } as never)],
  // ONNX export and runtime.
  ['exportOnnx', 'length', () => exportOnnx(tiny(), null, { length: 'none' } as never)],
  ['emitSequential', 'zzz', () => emitSequential({} as never, tiny(), 'x', bad)],
  ['detectorToOnnx', 'graphname', () => detectorToOnnx({} as never, { graphname: 'g' } as never)],
  ['detectorToOnnxAsync', 'zzz', () => detectorToOnnxAsync({} as never, bad)],
  ['OnnxModel.load', 'provider', () => OnnxModel.load('x.onnx', { provider: 'cpu' } as never)],
  // Streamed scoring: the shared options and each model's own.
  ['scoreStream', 'textcolumn', () => tiny().scoreStream('x.csv', {
    preprocessing: { tokenizer: new CharTokenizer().fitOnTexts(['ab']) }, textcolumn: 'a',
  } as never)],
  ['IsolationForest.scoreStream', 'column', async () => {
    const d = await new IsolationForest({ nEstimators: 2 }).fit(rows8);
    return d.scoreStream('x.csv', { column: [0] } as never);
  }],
  ['custom', 'zzz', () => streamScores('custom', 'x.csv', { payload: { kind: 'text', column: null }, batchSize: 1, prepare: () => ({ input: 0 }),
    score: async () => ({ scores: new Float32Array(0), predictions: null }) }, bad)],
];

test('every public function taking options rejects an unknown key with a TypeError naming both', async () => {
  for (const [fn, key, call] of rows) {
    const pattern = new RegExp(`^${fn.replace(/[.]/g, '\\.')}: unknown option '${key}'`);
    let r: unknown;
    try {
      r = call();
    } catch (err) {
      throwsError(() => { throw err; }, TypeError, pattern);
      continue;
    }
    assert.ok(r instanceof Promise, `${fn}: neither threw nor returned a promise`);
    await rejectsError(r as Promise<unknown>, TypeError, pattern);
  }
});

test.run();
