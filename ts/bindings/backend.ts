import { addon } from './addon.ts';

export interface CudaDevice {
  name: string;
  memoryBytes: number;
  /** "major.minor", e.g. "9.0" for an H100. */
  computeCapability: string;
}

export interface Backend {
  /** True when the addon was built with CUDA and a usable device was found. */
  cuda: boolean;
  /** True when the addon was built with CUDA (nvcc was found at build time). */
  cudaCompiled: boolean;
  devices: CudaDevice[];
  /** Why `cuda` is false, when it is. */
  cudaUnavailableReason?: string;
  /** CPU kernel path in use: "avx2" (AVX2 + FMA) or "generic" (portable). */
  simd: 'avx2' | 'generic';
  /** Threads the CPU kernels split work over. */
  threads: number;
}

interface BackendAddon {
  backend(): Backend;
  getNumThreads(): number;
  setNumThreads(n: number): void;
  forceGenericSimd(on: boolean): string;
}

const native = () => addon<BackendAddon>();

/** What the engine runs on. Never throws: without a GPU or driver, `cuda` is false. */
export function backend(): Backend {
  return native().backend();
}

/** Threads used by CPU kernels (default: the number of cores). Results do not depend on it. */
export function getNumThreads(): number {
  return native().getNumThreads();
}

export function setNumThreads(n: number): void {
  native().setNumThreads(n);
}

/** Forces the portable (non-AVX2) kernels; for tests comparing the two paths. Returns the path now in use. */
export function forceGenericSimd(on: boolean): 'avx2' | 'generic' {
  return native().forceGenericSimd(on) as 'avx2' | 'generic';
}
