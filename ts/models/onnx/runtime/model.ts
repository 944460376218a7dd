// OnnxModel: any ONNX file run by onnxruntime-node on a worker thread (worker_source.ts), with the
// CUDA execution provider when it is installed and loads, the CPU provider otherwise. Inputs are
// checked against the session's declared names, element types and shapes before they leave the main
// thread; outputs come back by transfer (no copy); `{ transfer: true }` moves the inputs too.
import { access, constants } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { decodeModel } from '../proto.ts';
import { cudaProviderInstalled, onnxruntimePath, providerDir, resolveProviders, CUDA_INSTALL_COMMAND } from './providers.ts';
import type { ProviderName, ProvidersOption } from './providers.ts';
import { checkFeeds } from './tensors.ts';
import type { OnnxTensor, OnnxValueInfo } from './tensors.ts';
import { WORKER_SOURCE } from './worker_source.ts';
import { knownOptions, optionNames } from '../../options.ts';

export interface OnnxModelOptions {
  /** 'auto' (default): CUDA when its provider is installed and loads, else CPU; or the providers to try, in order. */
  providers?: ProvidersOption;
  /** onnxruntime's intra-op threads (default: onnxruntime's choice, one per core). */
  threads?: number;
}

export interface RunOptions {
  /** Move the inputs' buffers to the worker instead of copying them; the caller's arrays are left detached. */
  transfer?: boolean;
}

const LOAD_OPTIONS = optionNames<OnnxModelOptions>()(['providers', 'threads']);
const RUN_OPTIONS = optionNames<RunOptions>()(['transfer']);

interface Ready {
  ready: true;
  provider: ProviderName;
  failures: string[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}
type Reply = { id: number; outputs?: Record<string, OnnxTensor>; error?: string } | { closed: true };
type Pending = { resolve: (v: Record<string, OnnxTensor>) => void; reject: (e: Error) => void };

export class OnnxModel {
  readonly provider: ProviderName;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  /** Why providers tried before `provider` did not load (e.g. CUDA without its libraries). */
  readonly providerFailures: readonly string[];
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #next = 0;
  #closed: Promise<void> | null = null;
  #dead: Error | null = null;

  private constructor(worker: Worker, ready: Ready) {
    this.#worker = worker;
    this.provider = ready.provider;
    this.inputs = ready.inputs;
    this.outputs = ready.outputs;
    this.providerFailures = ready.failures;
    worker.on('message', (m: Reply) => {
      if ('closed' in m) return;
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) worker.unref();
      if (m.error !== undefined) p.reject(new Error(`OnnxModel.run: ${m.error}`));
      else p.resolve(m.outputs!);
    });
    const die = (err: Error) => {
      this.#dead ??= err;
      for (const p of this.#pending.values()) p.reject(this.#dead);
      this.#pending.clear();
    };
    worker.on('error', (e) => die(new Error(`OnnxModel: the worker failed: ${e.message}`)));
    worker.on('exit', () => die(new Error('OnnxModel: the model is closed')));
    // An idle model does not keep the process alive; a pending run does.
    worker.unref();
  }

  /**
   * Opens an ONNX model (a path or its bytes) in onnxruntime on a worker thread. Rejects with an Error
   * naming the problem: unreadable path, bytes that are not ONNX, or no provider that loads it.
   */
  static async load(source: string | Uint8Array, opts: OnnxModelOptions = {}): Promise<OnnxModel> {
    const fn = 'OnnxModel.load';
    if (typeof opts !== 'object' || opts === null) throw new TypeError(`${fn}: options must be an object`);
    knownOptions(fn, opts, LOAD_OPTIONS);
    const providers = resolveProviders(fn, opts.providers);
    const threads = opts.threads;
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 1024)) {
      throw new RangeError(`${fn}: threads must be an integer in [1, 1024], got ${threads}`);
    }
    let src: string | Uint8Array;
    if (source instanceof Uint8Array) {
      // onnxruntime's own message for bad bytes is only "protobuf parsing failed": decode first to say more.
      decodeModel(source, `${fn}: model bytes`);
      src = source.slice();
    } else if (typeof source === 'string' && source.length > 0) {
      await access(source, constants.R_OK).catch((err: NodeJS.ErrnoException) => {
        throw new Error(`${fn}: can't read '${source}': ${err.code ?? err.message}`);
      });
      src = source;
    } else {
      throw new TypeError(`${fn}: source must be a path or a Uint8Array of ONNX bytes`);
    }
    // A provider whose library is absent is not tried (onnxruntime would log an error for it).
    const absent = providers.includes('cuda') && !cudaProviderInstalled()
      ? [`cuda: its library libonnxruntime_providers_cuda.so is not installed in ${providerDir()}`] : [];
    const tried = absent.length ? providers.filter((p) => p !== 'cuda') : providers;
    const hint = providers.includes('cuda') ? ` (the CUDA provider is added with: ${CUDA_INSTALL_COMMAND})` : '';
    const what = typeof source === 'string' ? `'${source}'` : 'the model bytes';
    if (tried.length === 0) throw new Error(`${fn}: onnxruntime could not open ${what}: ${absent.join('; ')}${hint}`);
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath: onnxruntimePath(), source: src, providers: tried, threads } });
    const ready = await new Promise<Ready>((resolve, reject) => {
      const onError = (e: Error) => reject(new Error(`${fn}: the onnxruntime worker failed: ${e.message}`));
      worker.once('error', onError);
      worker.once('message', (m: Ready | { failed: string[] }) => {
        worker.off('error', onError);
        if ('ready' in m) return resolve({ ...m, failures: [...absent, ...m.failures] });
        void worker.terminate();
        reject(new Error(`${fn}: onnxruntime could not open ${what}: ${[...absent, ...m.failed].join('; ')}${hint}`));
      });
    });
    return new OnnxModel(worker, ready);
  }

  /** Runs the model; resolves to every output by name. Feeds are checked against `inputs` first. */
  async run(feeds: Record<string, OnnxTensor>, opts: RunOptions = {}): Promise<Record<string, OnnxTensor>> {
    if (this.#closed || this.#dead) throw this.#dead ?? new Error('OnnxModel.run: the model is closed');
    knownOptions('OnnxModel.run', opts, RUN_OPTIONS);
    const checked = checkFeeds('OnnxModel.run', this.inputs, feeds);
    const payload: Record<string, OnnxTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const info of this.inputs) {
      const t = checked[info.name]!;
      payload[info.name] = { type: t.type, dims: [...t.dims], data: t.data };
      if (opts.transfer && t.data.buffer instanceof ArrayBuffer && !transfer.includes(t.data.buffer)) transfer.push(t.data.buffer);
    }
    const id = this.#next++;
    const result = new Promise<Record<string, OnnxTensor>>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#worker.ref();
    this.#worker.postMessage({ id, run: payload }, transfer);
    return result;
  }

  /** Releases the session and ends the worker; later runs reject. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      if (this.#dead) return resolve();
      this.#worker.once('exit', () => resolve());
      this.#worker.ref(); // until it has exited
      this.#worker.postMessage({ close: true });
    });
    return this.#closed;
  }
}
