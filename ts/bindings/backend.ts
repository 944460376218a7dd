import { addon } from './addon.ts';

export interface CudaDevice {
  name: string;
  memoryBytes: number;
  /** "major.minor", e.g. "9.0" for an H100. */
  computeCapability: string;
}

export type SimdLevel = 'avx512' | 'avx2' | 'generic';

export interface Backend {
  /** True when the addon was built with CUDA and a usable device was found. */
  cuda: boolean;
  /** True when the addon was built with CUDA (nvcc was found at build time). */
  cudaCompiled: boolean;
  devices: CudaDevice[];
  /** Why `cuda` is false, when it is. */
  cudaUnavailableReason?: string;
  /** CPU kernel path in use: "avx512", "avx2" (AVX2 + FMA) or "generic" (portable). */
  simd: SimdLevel;
  /** The best path this processor supports. */
  simdHardware: SimdLevel;
  /** Threads the CPU kernels split work over. */
  threads: number;
}

interface BackendAddon {
  backend(): Backend;
  getNumThreads(): number;
  setNumThreads(n: number): void;
  setSimdCap(level: SimdLevel): SimdLevel;
  adviseHugePages(a: Float32Array): number;
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

/**
 * Caps the CPU kernel path at `level` (default: the best the processor has) and returns the
 * path now in use; tests use it to check every path against the references on one machine.
 */
export function setSimdCap(level: SimdLevel): SimdLevel {
  return native().setSimdCap(level);
}

/**
 * Asks the OS (Linux) to back the 2 MiB-aligned interior of `a` with huge pages when it is first
 * written, and returns the bytes advised (0: nothing was, e.g. `a` spans no whole 2 MiB page, or
 * another OS; an empty `a` is a RangeError). A hint only, for fresh arrays of tens of MB that a
 * kernel is about to fill: values are unchanged.
 */
export function adviseHugePages(a: Float32Array): number {
  return native().adviseHugePages(a);
}
