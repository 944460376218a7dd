// vigil's public entry point: the model layer first, then the kernel bindings for those who
// compose their own models.
export { backend, getNumThreads, setNumThreads } from './bindings/backend.ts';
export type { Backend, CudaDevice } from './bindings/backend.ts';
export { autoDevice, resolveDevice, setDeviceLog } from './bindings/device.ts';
export type { Device } from './bindings/device.ts';

export { glorotUniform, orthogonal, uniform } from './models/initializers.ts';

export * as random from './bindings/random.ts';
export * as gemm from './bindings/gemm.ts';
export * as lstm from './bindings/lstm.ts';
export * as rnn from './bindings/rnn.ts';
export * as embedding from './bindings/embedding.ts';
export * as dense from './bindings/dense.ts';
export * as activation from './bindings/activation.ts';
export * as loss from './bindings/loss.ts';
export * as dropout from './bindings/dropout.ts';
export * as optimizer from './bindings/optimizer.ts';
export * as conv1d from './bindings/conv1d.ts';
export * as pool1d from './bindings/pool1d.ts';
export * as iforest from './bindings/iforest.ts';
export * as rbm from './bindings/rbm.ts';
export * as ocsvm from './bindings/ocsvm.ts';
export type { OcsvmFitResult, OcsvmFitSpec, OcsvmStatus, SvmKernelName, SvmKernelSpec } from './bindings/ocsvm.ts';

// Preprocessing, metrics and the bundled data sets.
export {
  CharTokenizer, padSequences, trainTestSplit, groupTrainTestSplit, permutation, takeRows, csvRecords, parseCsv, CsvParser, DataFormatError,
  parseJsonLines, readJsonLines, readJsonLinesAsync, StandardScaler, MinMaxScaler, LabelEncoder, ColumnEncoder, compareCodePoints,
  slidingWindows, stepScores, TabularPipeline,
} from './models/preprocessing/index.ts';
export type {
  CharTokenizerOptions, CharTokenizerJSON, PadOptions, PaddedBatch, Side, SplitOptions, GroupSplitOptions, Split, CsvOptions, CsvRecord, CsvSink,
  StandardScalerOptions, StandardScalerJSON, MinMaxScalerOptions, MinMaxScalerJSON,
  Cell, ColumnEncoderJSON, ColumnEncoderOptions, Label, LabelEncoderJSON, LabelEncoderOptions, UnknownPolicy,
  NanPolicy, StepReduce, StepScoreOptions, WindowOptions, Windows, TabularPipelineJSON, TabularPipelineOptions, TabularScale,
} from './models/preprocessing/index.ts';
export * as metrics from './models/metrics.ts';
export {
  loadPhishing, loadPhishingAsync, loadCsic, loadCsicAsync, loadHttpParams, loadHttpParamsAsync, readDataText, BUNDLED_DATA, HTTP_PARAMS_CLASSES,
} from './models/datasets.ts';
export type { TextDataset, CsicDataset, HttpParamsDataset, LoadAsyncOptions } from './models/datasets.ts';
export {
  loadKdd, loadKddAsync, readKdd, readKddAsync, kddEncoder, loadCreditcard, loadCreditcardAsync, BUNDLED_TABULAR, KDD_COLUMNS, KDD_CATEGORICAL, CREDITCARD_COLUMNS,
} from './models/tabular_datasets.ts';
export type { KddOptions, KddRecords, KddDataset, LoadKddOptions, CreditcardDataset } from './models/tabular_datasets.ts';

// Streamed scoring (Sequential.scoreStream, Detector.scoreStream, `vigil score`): the one pipeline
// (also for custom models through streamScores), the results writer, the input formats.
export { streamScores, writeScores, formatBatch, outputHeader, outputFormatFor, inputFormatFor, INPUT_FORMATS } from './models/stream/index.ts';
export type {
  ColumnSpec, DetectorStreamOptions, InputFormat, OnError, OutputColumns, OutputFormat, ScoredBatch, StreamInput, StreamModel, StreamOptions,
  StreamProgress, TextStreamOptions,
} from './models/stream/index.ts';

// Keras-style model layer.
export { Sequential } from './models/sequential.ts';
export type {
  CompileOptions, EvaluateResult, FitOptions, History, ModelInput, PredictOptions, SequentialOptions, Targets,
} from './models/sequential.ts';
export { Model } from './models/functional.ts';
export type { FunctionalInput, ModelOptions } from './models/functional.ts';
export { Input } from './models/layers/symbolic.ts';
export type { InputDtype, InputOptions, SymbolicTensor } from './models/layers/symbolic.ts';
export { Add, Dot, MergeLayer, Multiply, Subtract } from './models/layers/merge.ts';
export type { DotOptions } from './models/layers/merge.ts';
export { Embedding } from './models/layers/embedding.ts';
export type { EmbeddingOptions } from './models/layers/embedding.ts';
export { LSTM } from './models/layers/lstm.ts';
export type { LSTMOptions } from './models/layers/lstm.ts';
export { SimpleRNN } from './models/layers/simple_rnn.ts';
export type { SimpleRNNOptions } from './models/layers/simple_rnn.ts';
export { Dense } from './models/layers/dense.ts';
export type { Activation, DenseOptions } from './models/layers/dense.ts';
export { Dropout } from './models/layers/dropout.ts';
export { Flatten } from './models/layers/flatten.ts';
export { GaussianNoise } from './models/layers/noise.ts';
export { ActivityRegularization } from './models/layers/activity_regularization.ts';
export { Sampling } from './models/layers/sampling.ts';
export type { SamplingOptions } from './models/layers/sampling.ts';
export { Conv1D } from './models/layers/conv1d.ts';
export type { Conv1DOptions } from './models/layers/conv1d.ts';
export { MaxPooling1D, RepeatVector, UpSampling1D } from './models/layers/sampling1d.ts';
export type { MaxPooling1DOptions } from './models/layers/sampling1d.ts';
export { SpatialDropout1D } from './models/layers/spatial_dropout.ts';
export { NormalizedReLU } from './models/layers/normalized_relu.ts';
export type { NormalizedReLUOptions } from './models/layers/normalized_relu.ts';
export { TimeDistributed } from './models/layers/time_distributed.ts';
export { TCN } from './models/layers/tcn.ts';
export type { TCNOptions } from './models/layers/tcn.ts';
export { dilatedTcnClassifier, edTcnClassifier, TcnClassifier } from './models/tcn_models.ts';
export type { DilatedTcnOptions, EdTcnOptions, SequenceInput, TcnClassifierOptions, TcnFitOptions, TcnKind } from './models/tcn_models.ts';
export type { Regularizer } from './models/layers/layer.ts';
export { Layer } from './models/layers/layer.ts';
export { Adam, Nadam, RMSprop, SGD, getOptimizer } from './models/optimizers.ts';
export type { Optimizer, OptimizerName, OptimizerSpec } from './models/optimizers.ts';
export { EarlyStopping, LearningRateScheduler, ReduceLROnPlateau } from './models/callbacks.ts';
export type { BatchLogs, Callback, CallbackModel, EarlyStoppingOptions, EpochLogs, LearningRateSchedule, ReduceLROnPlateauOptions } from './models/callbacks.ts';
export type { LossName, LossSpec } from './models/losses.ts';
export { fromArray, gatherRows, sizeOf, sliceRows, tensor } from './models/tensor.ts';
export type { Tensor, TensorData } from './models/tensor.ts';

// Model files: Sequential.save / Sequential.load.
export { FORMAT_VERSION, ModelFileError, Preprocessing, decodeModelFile, encodeModelFile } from './models/serialize.ts';
export { FileWriteError } from './io/atomic.ts';
export type {
  CompileJSON, DetectorJSON, LayerJSON, LoadedModel, ModelFileHeader, ModelFileProblem, OptimizerJSON, PadConfig, PreprocessingJSON,
  SaveOptions, SavePreprocessing, SequentialJSON, WeightEntry,
} from './models/serialize.ts';
export { layerFromConfig, layerClassNames, registerLayer } from './models/layers/registry.ts';
export type { LayerFactory } from './models/layers/registry.ts';
export type { ConfigValue, LayerConfig } from './models/layers/layer.ts';
export { Bidirectional } from './models/layers/bidirectional.ts';
export type { BidirectionalOptions, MergeMode } from './models/layers/bidirectional.ts';
export { GlobalAveragePooling1D, GlobalMaxPooling1D } from './models/layers/pooling.ts';
export type { GlobalAveragePooling1DOptions, GlobalMaxPooling1DOptions } from './models/layers/pooling.ts';
export { Concatenate } from './models/layers/concatenate.ts';
export type { ClipOptions } from './models/optimizers.ts';

// Anomaly detectors: one interface for all (fit, scoreSamples with higher = more anomalous,
// decisionFunction, predict, threshold, save/loadDetector).
export { Detector, loadDetector, preprocessed, registerDetector } from './models/detectors/detector.ts';
export type { DetectorFactory, DetectorFitOptions, DetectorState, JSONObject, RawRows } from './models/detectors/detector.ts';
export { toMatrix } from './models/detectors/matrix.ts';
export type { Matrix, TabularInput } from './models/detectors/matrix.ts';
export { DEFAULT_CONTAMINATION, quantile, thresholdConfig, thresholdFor, thresholdRule } from './models/detectors/threshold.ts';
export type { ThresholdOptions, ThresholdRule } from './models/detectors/threshold.ts';
export { OneClassSVM } from './models/detectors/ocsvm.ts';
export type { OneClassSVMOptions } from './models/detectors/ocsvm.ts';

// The Numenta Anomaly Benchmark: corpus reader, NAB's scorer and results files; the scorer's
// building blocks (scaledSigmoid, sweepThresholds, ...) are under `nab`.
export {
  BUNDLED_NAB, loadNabCorpus, loadNabCorpusAsync, NAB_PROFILES, nabLabels, NabError, nabNormalize, nabSweep, parseNabTime, readNabResults,
  readNabResultsAsync, scoreNab, writeNabResults, writeNabResultsAsync,
} from './nab/index.ts';
export type {
  LoadNabOptions, NabCorpus, NabCostMatrix, NabPointMetrics, NabProfileScore, NabReport, NabScores, NabSeries, NabSeriesScore, NabThresholdRow,
  NabWindow, NabWindowResult, ReadNabResultsOptions, ScoreNabOptions,
} from './nab/index.ts';
export * as nab from './nab/index.ts';
export { IsolationForest } from './models/detectors/iforest.ts';
export type { IsolationForestOptions } from './models/detectors/iforest.ts';
export { RBM } from './models/detectors/rbm.ts';
export type { RBMOptions, RBMEpoch, RBMFitOptions, RbmScoring } from './models/detectors/rbm.ts';
export { RbmEnsemble } from './models/detectors/rbm_ensemble.ts';
export type { RbmEnsembleOptions } from './models/detectors/rbm_ensemble.ts';
export { Autoencoder } from './models/detectors/autoencoder.ts';
export type { AutoencoderOptions } from './models/detectors/autoencoder.ts';
export { VariationalAutoencoder } from './models/detectors/vae.ts';
export type { VariationalAutoencoderOptions } from './models/detectors/vae.ts';
export { DenseAutoencoder } from './models/detectors/dense_autoencoder.ts';
export type {
  AutoencoderEpoch, AutoencoderFitOptions, DenseAutoencoderConfig, DenseAutoencoderOptions, HiddenActivation,
} from './models/detectors/dense_autoencoder.ts';

// Time-series detectors: LSTM and TCN forecasters and the LSTM autoencoder (Detectors over a
// series), the anomaly likelihood, the streaming detector vigil runs on NAB, and NAB detection
// pictures.
export { LstmForecaster } from './models/detectors/lstm_forecaster.ts';
export type { LstmForecasterOptions } from './models/detectors/lstm_forecaster.ts';
export { TcnForecaster } from './models/detectors/tcn_forecaster.ts';
export type { TcnForecasterConfig, TcnForecasterOptions } from './models/detectors/tcn_forecaster.ts';
export { LstmAutoencoder } from './models/detectors/lstm_autoencoder.ts';
export type { LstmAutoencoderOptions } from './models/detectors/lstm_autoencoder.ts';
export type { LstmSeriesConfig, LstmSeriesOptions } from './models/detectors/lstm_series.ts';
export { WindowModelDetector } from './models/detectors/window_model.ts';
export type { PartialFitOptions, ScalerName, WindowModelConfig, WindowModelOptions } from './models/detectors/window_model.ts';
export { WindowForecaster } from './models/detectors/window_forecaster.ts';
export type { WindowForecasterOptions } from './models/detectors/window_forecaster.ts';
export type { Series, SeriesInput, SeriesValues } from './models/detectors/series.ts';
export { AnomalyLikelihood, logScore, upperTail } from './models/detectors/likelihood.ts';
export type { AnomalyLikelihoodConfig, AnomalyLikelihoodOptions } from './models/detectors/likelihood.ts';
export { onlineForecastScores } from './models/detectors/online_forecast.ts';
export type { OnlineForecastOptions, OnlineForecastResult, OnlineModelOptions } from './models/detectors/online_forecast.ts';
export { runNabLstm } from './experiments/nab-lstm.ts';
export { runNabTcn } from './experiments/nab-tcn.ts';
export type { NabEvalOptions, NabEvalReport } from './experiments/nab-run.ts';
export { runCreditcardTcn } from './experiments/tabular/creditcard-tcn.ts';
export type { CreditcardTcnOptions } from './experiments/tabular/creditcard-tcn.ts';
export { nabPlotSpec, renderSvg, writeNabPlots } from './nab/plots.ts';
export type { NabPlotOptions, VegaSpec } from './nab/plots.ts';

// Detectors as ONNX files (IsolationForest and OneClassSVM in skl2onnx's layout, RBM in standard
// operators) and back, scikit-learn's models included; the *Async forms work on a worker thread.
export { detectorFromOnnx, detectorFromOnnxAsync, detectorToOnnx, detectorToOnnxAsync, importDetectorOnnx } from './models/onnx/detectors/index.ts';
export type { DetectorExportOptions } from './models/onnx/detectors/index.ts';
export type { FittedDetectorState } from './models/detectors/detector.ts';
// ONNX export: a Sequential (or a fitted detector) as one standard ONNX file, and the
// pieces detectors and custom layers build their own graphs from.
export { emitSequential, exportOnnx, ExportGraph, lengthsFromIds, registerLayerExporter } from './models/onnx/export/index.ts';
export type {
  Dim, EmitOptions, Flow, LayerExporter, LengthsMode, OnnxExportOptions, PaddingSide, SequentialOutput,
} from './models/onnx/export/index.ts';
