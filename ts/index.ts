export { backend, getNumThreads, setNumThreads } from './bindings/backend.ts';
export type { Backend, CudaDevice } from './bindings/backend.ts';
