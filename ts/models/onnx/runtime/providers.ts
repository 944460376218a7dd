// Which execution providers an OnnxModel tries. The onnxruntime-node package ships only the CPU
// provider; the CUDA provider (Linux x64, CUDA 12) is a set of shared libraries its install script
// fetches from NuGet, which vigil's .npmrc skips so installs work offline. A GPU user adds them with
//   ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js
// ('auto' then picks CUDA when the library is there and loads, and CPU otherwise).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type ProviderName = 'cuda' | 'cpu';
export type ProvidersOption = 'auto' | readonly ProviderName[];

export const CUDA_INSTALL_COMMAND = 'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js';

const require = createRequire(import.meta.url);

/** The absolute path of onnxruntime-node's entry, for the worker to load (workers don't share our resolution). */
export function onnxruntimePath(): string {
  return require.resolve('onnxruntime-node');
}

/** Where onnxruntime-node looks for its provider libraries on this platform. */
export function providerDir(): string {
  return join(dirname(onnxruntimePath()), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/** Whether the CUDA provider's library is installed (it may still fail to load without CUDA 12 / cuDNN 9). */
export function cudaProviderInstalled(): boolean {
  return process.platform === 'linux' && process.arch === 'x64' && existsSync(join(providerDir(), 'libonnxruntime_providers_cuda.so'));
}

/** The providers to try, in order; 'auto' tries CUDA only when its library is installed. */
export function resolveProviders(fn: string, opt: unknown): ProviderName[] {
  if (opt === undefined || opt === 'auto') return cudaProviderInstalled() ? ['cuda', 'cpu'] : ['cpu'];
  if (!Array.isArray(opt) || opt.length === 0 || opt.some((p) => p !== 'cuda' && p !== 'cpu') || new Set(opt).size !== opt.length) {
    throw new RangeError(`${fn}: providers must be 'auto' or a list of distinct 'cuda' | 'cpu', got ${JSON.stringify(opt)}`);
  }
  return [...opt] as ProviderName[];
}
