// The worker thread that owns one onnxruntime session: onnxruntime-node's run() executes synchronously
// on its calling thread, so OnnxModel keeps the session here and the event loop free. Plain JS, run
// with `eval`, so it needs no TypeScript loader (under tsx or from dist alike); onnxruntime-node is
// loaded from the absolute path the main thread resolved.
//
// Protocol (model.ts types it): workerData { ortPath, source, providers, threads }; the worker posts
// { ready, provider, inputs, outputs, failures } or { failed }, then answers { id, run: feeds } with
// { id, outputs } or { id, error }, and { close } with { closed }. Outputs' buffers are transferred.
export const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const info = (meta) => meta.map((m) => ({ name: m.name, type: m.type, shape: m.shape }));
let session = null;

async function open() {
  const failures = [];
  for (const provider of workerData.providers) {
    try {
      const options = { executionProviders: [provider], graphOptimizationLevel: 'all' };
      if (workerData.threads) { options.intraOpNumThreads = workerData.threads; options.interOpNumThreads = 1; }
      session = await ort.InferenceSession.create(workerData.source, options);
      parentPort.postMessage({ ready: true, provider, failures,
        inputs: info(session.inputMetadata), outputs: info(session.outputMetadata) });
      return;
    } catch (err) {
      failures.push(provider + ': ' + (err && err.message || String(err)));
    }
  }
  parentPort.postMessage({ failed: failures });
}

parentPort.on('message', async (msg) => {
  if (msg.close) {
    if (session) await session.release();
    session = null;
    parentPort.postMessage({ closed: true });
    parentPort.close();
    return;
  }
  try {
    const feeds = {};
    for (const [name, t] of Object.entries(msg.run)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
    const result = await session.run(feeds);
    const outputs = {};
    const transfer = [];
    for (const [name, t] of Object.entries(result)) {
      outputs[name] = { type: t.type, dims: [...t.dims], data: t.data };
      if (t.data && t.data.buffer instanceof ArrayBuffer && !transfer.includes(t.data.buffer)) transfer.push(t.data.buffer);
    }
    try {
      parentPort.postMessage({ id: msg.id, outputs }, transfer);
    } catch {
      parentPort.postMessage({ id: msg.id, outputs }); // a buffer that can't move is copied instead
    }
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: err && err.message || String(err) });
  }
});

open();
`;
