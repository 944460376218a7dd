// The `metadata_props` keys vigil writes into an exported ONNX file so that one file is the whole model:
// what kind of vigil model it is, its preprocessing and its decision threshold. Values are strings (JSON
// where structured). Other tools ignore these keys; vigil's import reads them back.
export const META = {
  /** 'sequential' | 'detector' (with `vigil.detector` naming the type) — what `vigil import` rebuilds. */
  kind: 'vigil.kind',
  /** Detector type as registered with registerDetector, e.g. 'IsolationForest'. */
  detector: 'vigil.detector',
  /** JSON: the model's own header (architecture / hyper-parameters), as vigil's model file stores it. */
  config: 'vigil.config',
  /** JSON: CharTokenizer state (CharTokenizerJSON). */
  tokenizer: 'vigil.tokenizer',
  /** JSON: { maxlen, padding: 'pre'|'post', truncating: 'pre'|'post', value } for text input. */
  padding: 'vigil.padding',
  /** JSON: a fitted scaler or column encoder applied before the graph's input (for a Sequential: the free-form state its model file keeps in preprocessing.extra, e.g. a TcnClassifier's scaler). */
  preprocessing: 'vigil.preprocessing',
  /** JSON: a Sequential's compile settings (loss, optimizer, metrics) as its model file stores them. */
  compile: 'vigil.compile',
  /** How a sequence graph learns each row's valid steps: 'from-ids' | 'input' | 'none' (export/index.ts). */
  lengths: 'vigil.lengths',
  /** Decision threshold on the score output (a number as a string); higher score = more anomalous. */
  threshold: 'vigil.threshold',
  /** Human-readable score convention, repeated in the model's doc_string. */
  score: 'vigil.score',
  /** vigil's version that wrote the file. */
  version: 'vigil.version',
} as const;
