// The worker thread behind detectorToOnnxAsync / detectorFromOnnxAsync (index.ts): builds or reads the
// ONNX bytes off the event loop. Requests { id, export: { type, state, opts } } or { id, import: { bytes,
// what } }; answers { id, bytes } / { id, record } with their buffers transferred, or { id, error }.
import { parentPort } from 'node:worker_threads';
import { bytesToRecord, stateToOnnx } from './convert.ts';

const port = parentPort!;

port.on('message', (msg: { id: number; export?: { type: string; state: never; opts: never }; import?: { bytes: Uint8Array; what: string } }) => {
  try {
    if (msg.export) {
      // A copy in an ArrayBuffer of its own: protobufjs hands back a Node Buffer, which may be a view of
      // Node's shared pool (Buffer.slice does not copy).
      const bytes = Uint8Array.from(stateToOnnx(msg.export.type, msg.export.state, msg.export.opts));
      port.postMessage({ id: msg.id, bytes }, [bytes.buffer]);
    } else {
      const record = bytesToRecord(msg.import!.bytes, msg.import!.what);
      const buffers = new Set([...record.weights.values()].map((w) => w.buffer as ArrayBuffer));
      port.postMessage({ id: msg.id, record }, [...buffers]);
    }
  } catch (err) {
    const e = err as Error;
    port.postMessage({ id: msg.id, error: { name: e?.name ?? 'Error', message: e?.message ?? String(err) } });
  }
});
