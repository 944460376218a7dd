// The `metadata_props` keys vigil writes into an exported ONNX file so that one file is the whole model:
// what kind of vigil model it is, its preprocessing and its decision threshold. Values are strings (JSON
// where structured). Other tools ignore these keys; vigil's import reads them back, after checking that
// the vigil that wrote them is not newer than this one (checkVigilVersion).
import { vigilVersion } from '../../version.ts';
import type { ModelProto } from './proto.ts';

/** A decoded file's metadata_props as a key -> value record. */
export function metadataOf(model: ModelProto): Record<string, string> {
  return Object.fromEntries((model.metadata_props ?? []).map((e) => [e.key, e.value]));
}

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

/** The `vigil.kind` values this vigil reads; a newer vigil may write others. */
export const KINDS: readonly string[] = ['sequential', 'detector'];

interface SemVer {
  major: number;
  minor: number;
}

function parseVersion(v: string): SemVer | null {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(v);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

/**
 * Refuses a file of a vigil newer than this one, before its metadata is read: one whose `vigil.version`
 * is a semver-breaking release ahead (a newer major or, before 1.0, a newer minor: 0.2.0 may change what
 * 0.1.x wrote; older files and newer patches, and minors from 1.0 on, are read), or whose `vigil.kind`
 * is one this vigil does not know. Without `vigil.version` (a file from elsewhere) the version is not
 * checked; with our own version unknown (package.json unreadable) it can't be.
 */
export function checkVigilFile(meta: Record<string, string>, what: string, ours = vigilVersion()): void {
  const written = meta[META.version];
  const upgrade = 'upgrade vigil to import it, or run the graph with onnxruntime (OnnxModel)';
  if (written !== undefined) {
    const file = parseVersion(written);
    if (!file) throw new Error(`${what}: metadata '${META.version}' is ${JSON.stringify(written)}, not a version (major.minor.patch)`);
    const mine = parseVersion(ours);
    if (mine && (file.major > mine.major || (file.major === 0 && mine.major === 0 && file.minor > mine.minor))) {
      const reads = mine.major === 0 ? `0.${mine.minor}.x` : `${mine.major}.x`;
      throw new Error(`${what}: written by vigil ${written} (metadata '${META.version}'), newer than this vigil ${ours} reads ` +
        `(files of vigil ${reads} and older): ${upgrade}`);
    }
  }
  const kind = meta[META.kind];
  if (kind !== undefined && !KINDS.includes(kind)) {
    throw new Error(`${what}: metadata '${META.kind}' is ${JSON.stringify(kind)}, a kind of model this vigil ${ours} does not know ` +
      `(${KINDS.join(', ')})${written !== undefined ? `; the file was written by vigil ${written}` : ''}: ${upgrade}`);
  }
}
