// The one way vigil runs a module's exported function off the event loop: offThread(url, name,
// args) calls `name` from the module at `url` on a worker thread and resolves to its result, its
// typed arrays' buffers moved rather than copied; an error comes back as the same class, message
// and fields (errors.ts). The caller passes its own import.meta.url, so the worker runs the same
// file: a .ts source under tsx, the compiled .js from dist/.
//
// Workers come from a small pool: a request takes an idle worker or starts one, and the worker is
// kept (unreferenced, so it never holds the process open) for the next request for a while, then
// ends so the memory a large load left behind goes with it. One request per worker at a time, so
// an AbortSignal can end the worker mid-call: the work stops, nothing else is lost.
import { Worker } from 'node:worker_threads';
import { rebuildError, type ErrorClass, type WireError } from './errors.ts';

export type { ErrorClass } from './errors.ts';

export interface OffThreadOptions {
  /** Abort the call: the worker is ended and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Error classes the function throws besides the built-ins, so they arrive as themselves. */
  errors?: readonly ErrorClass[];
  /** The name the caller knows the call by, for this module's own messages (default: `name` + 'Async'). */
  caller?: string;
}

/** Idle workers kept for reuse, and for how long: starting one costs 100-300 ms under tsx. */
const MAX_IDLE = 2;
let idleMs = 5_000;
const idle: Array<{ worker: Worker; timer: NodeJS.Timeout }> = [];

/** How long an idle worker is kept (tests only: a short wait exposes the pool's timing). */
export function setIdleMs(ms: number): void {
  idleMs = ms;
}

function startWorker(): Worker {
  // From dist, entry.js loads as it is. From source (under tsx), Node 20 does not pass tsx's
  // --import loader on to workers, so the worker registers it before loading entry.ts.
  const w = import.meta.url.endsWith('.ts')
    ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); ` +
      `return import(${JSON.stringify(new URL('./entry.ts', import.meta.url).href)}); })`, { eval: true })
    : new Worker(new URL('./entry.js', import.meta.url));
  // An idle worker that fails leaves the pool; a busy one's failure rejects its call (below).
  w.on('error', () => {});
  w.on('exit', () => {
    const k = idle.findIndex((s) => s.worker === w);
    if (k >= 0) clearTimeout(idle.splice(k, 1)[0].timer);
  });
  return w;
}

function takeWorker(): Worker {
  const slot = idle.pop();
  if (!slot) return startWorker();
  clearTimeout(slot.timer);
  return slot.worker;
}

function release(w: Worker): void {
  w.unref();
  if (idle.length >= MAX_IDLE) {
    void w.terminate();
    return;
  }
  const slot = {
    worker: w,
    // Out of the pool first, then ended: a worker stays alive a while after terminate() and must
    // not be handed to the next call in that window (it would exit before answering).
    timer: setTimeout(() => {
      idle.splice(idle.indexOf(slot), 1);
      void w.terminate();
    }, idleMs),
  };
  slot.timer.unref();
  idle.push(slot);
}

/**
 * Calls the export `name` of the module at `moduleUrl` with `args` on a worker thread. `args` and
 * the result cross by structured clone (plain data, typed arrays, Maps; class instances arrive as
 * plain objects, so a caller rebuilds those itself); the result's ArrayBuffers are transferred.
 */
export function offThread<T>(moduleUrl: string, name: string, args: readonly unknown[], opts: OffThreadOptions = {}): Promise<T> {
  const { signal, errors = [], caller = `${name}Async` } = opts;
  if (signal !== undefined && !(signal instanceof AbortSignal)) return Promise.reject(new TypeError(`${caller}: signal must be an AbortSignal`));
  if (signal?.aborted) return Promise.reject(signal.reason);
  const callerStack = new Error().stack;
  return new Promise<T>((resolve, reject) => {
    const w = takeWorker();
    const settle = (keep: boolean) => {
      w.off('message', onMessage).off('error', onError).off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
      if (keep) release(w);
      else void w.terminate();
    };
    const onMessage = (m: { value?: T; wire?: WireError }) => {
      settle(true);
      if (m.wire) reject(rebuildError(m.wire, errors, callerStack));
      else resolve(m.value as T);
    };
    const onError = (e: Error) => {
      settle(false);
      reject(new Error(`${caller}: its worker thread failed: ${e.message}`, { cause: e }));
    };
    const onExit = (code: number) => {
      settle(false);
      reject(new Error(`${caller}: its worker thread exited (code ${code}) before answering`));
    };
    const onAbort = () => {
      settle(false);
      reject(signal!.reason);
    };
    w.on('message', onMessage).on('error', onError).on('exit', onExit);
    signal?.addEventListener('abort', onAbort, { once: true });
    w.ref();
    try {
      w.postMessage({ module: moduleUrl, name, args });
    } catch (err) {
      // A function or symbol among the arguments: the synchronous form would take no such value either.
      settle(true);
      reject(new TypeError(`${caller}: its arguments must be plain data to reach a worker thread (${(err as Error).message})`));
    }
  });
}

/**
 * The URL of the module `name` in the caller's folder, with the caller's extension: `.ts` under
 * tsx, `.js` from dist. For functions that live in a lighter module than their async form's.
 */
export function siblingModule(callerUrl: string, name: string): string {
  return new URL(`./${name}${callerUrl.slice(callerUrl.lastIndexOf('.'))}`, callerUrl).href;
}

/**
 * An async form's options without their `signal`, which stays on the calling thread (it cannot be
 * cloned); anything that is not an object passes as it is, for the function's own check to reject.
 */
export function withoutSignal<T>(options: T): T | Omit<T, 'signal'> {
  if (options === null || typeof options !== 'object' || !('signal' in options)) return options;
  const { signal: _signal, ...rest } = options;
  return rest;
}
