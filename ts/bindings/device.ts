// Where a kernel runs: 'cpu', 'cuda', or 'auto' = CUDA when the addon was built with it and a GPU
// is usable (backend().cuda), the CPU otherwise. 'auto' is resolved once per process, and says
// which it chose in one line on stderr (setDeviceLog changes where that line goes).
import { backend } from './backend.ts';
import type { Backend } from './backend.ts';

export type Device = 'auto' | 'cpu' | 'cuda';
const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda'];

/** Checks a `device` option: a TypeError for a non-string, a RangeError for an unknown name. */
export function checkDevice(fn: string, v: unknown, dflt: Device = 'auto'): Device {
  if (v === undefined) return dflt;
  if (typeof v !== 'string') throw new TypeError(`${fn}: device must be 'auto', 'cpu' or 'cuda', got ${typeof v}`);
  if (!DEVICES.includes(v as Device)) throw new RangeError(`${fn}: device must be 'auto', 'cpu' or 'cuda', got ${JSON.stringify(v)}`);
  return v as Device;
}

let log: ((line: string) => void) | null = (line) => process.stderr.write(`${line}\n`);
let auto: 'cpu' | 'cuda' | null = null;
// Looked up once: the first look initialises the CUDA runtime, which can take a while.
let found: Backend | null = null;
const cudaBackend = (): Backend => (found ??= backend());

/** Where the one line about the 'auto' choice goes (null: nowhere). Default: stderr. */
export function setDeviceLog(fn: ((line: string) => void) | null): void {
  log = fn;
}

/** Writes one line where the 'auto' choice goes (a model saying where it runs). */
export function logDevice(line: string): void {
  log?.(line);
}

/** What 'auto' resolves to in this process (resolving it, and logging the choice, the first time). */
export function autoDevice(): 'cpu' | 'cuda' {
  if (auto === null) {
    const b = cudaBackend();
    auto = b.cuda ? 'cuda' : 'cpu';
    const why = b.cuda
      ? `${b.devices[0].name}, compute capability ${b.devices[0].computeCapability}`
      : `CUDA unavailable: ${b.cudaUnavailableReason ?? 'unknown reason'}`;
    log?.(`vigil: device 'auto' uses ${auto} (${why})`);
  }
  return auto;
}

/**
 * The device a call runs on: `device` checked as checkDevice does (undefined is 'cpu', the kernel
 * bindings' default), 'auto' as autoDevice(); 'cuda' when CUDA is unavailable is an Error naming the
 * reason (asking for a GPU and silently getting the CPU would hide a setup problem).
 */
export function resolveDevice(fn: string, requested: unknown): 'cpu' | 'cuda' {
  const device = checkDevice(fn, requested, 'cpu');
  if (device === 'auto') return autoDevice();
  if (device === 'cuda') {
    const b = cudaBackend();
    if (!b.cuda) throw new Error(`${fn}: device 'cuda' was asked for, but CUDA is unavailable: ${b.cudaUnavailableReason ?? 'unknown reason'}`);
  }
  return device;
}

/** Test-only: forgets the 'auto' choice, so that the next autoDevice() resolves and logs again. */
export function _resetAutoDevice(): void {
  auto = null;
}

/**
 * The addon function `name`, or its CUDA twin (same arguments: `fooCuda` for `foo`, `fooCudaAsync`
 * for `fooAsync`) when `device` resolves to 'cuda'. Errors name `name`, the public function's name.
 */
export function onDevice<T extends object, K extends keyof T & string>(mod: T, name: K, device: unknown): T[K] {
  if (resolveDevice(name, device) === 'cpu') return mod[name];
  const twin = name.endsWith('Async') ? `${name.slice(0, -5)}CudaAsync` : `${name}Cuda`;
  return (mod as Record<string, unknown>)[twin] as T[K];
}
