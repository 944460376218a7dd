// The Sequential importer: the graph walked and assembled into vigil layers, plus the preprocessing a
// vigil-exported file carries in its metadata (tokenizer, padding), so a re-imported text model
// scores raw strings.
import { Preprocessing } from '../../serialize.ts';
import { META, metadataOf } from '../metadata.ts';
import type { ModelProto } from '../proto.ts';
import { assemble } from './assemble.ts';
import { OnnxImportError } from './context.ts';
import type { ImportedModel } from './index.ts';
import { walkGraph } from './walk.ts';

function json(meta: Record<string, string>, key: string, what: string): unknown {
  const text = meta[key];
  if (text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new OnnxImportError(`${what}: metadata '${key}' is not valid JSON (${(err as Error).message})`);
  }
}

function preprocessingOf(meta: Record<string, string>, what: string): Preprocessing | null {
  const tokenizer = json(meta, META.tokenizer, what);
  const pad = json(meta, META.padding, what);
  if (tokenizer === null && pad === null) return null;
  try {
    return new Preprocessing({ tokenizer: tokenizer as never, pad: pad as never });
  } catch (err) {
    throw new OnnxImportError(`${what}: metadata '${META.tokenizer}' / '${META.padding}' is not a vigil tokenizer and padding: ${(err as Error).message}`);
  }
}

export function importSequential(model: ModelProto, what: string): ImportedModel {
  const graph = assemble(walkGraph(model, what));
  const meta = metadataOf(model);
  return { kind: 'sequential', model: graph.model, preprocessing: preprocessingOf(meta, what), graph };
}
