// The worker thread behind offThread (call.ts): each request { module, name, args } imports the
// module (once; later requests reuse it), calls its export `name` and answers { value } with the
// result's buffers transferred, or { wire } with the error (errors.ts). One request at a time.
import { parentPort } from 'node:worker_threads';
import { serializeError } from './errors.ts';
import { transferables } from './transfer.ts';

const port = parentPort!;

port.on('message', async (msg: { module: string; name: string; args: unknown[] }) => {
  let value: unknown;
  try {
    const fn = ((await import(msg.module)) as Record<string, unknown>)[msg.name];
    if (typeof fn !== 'function') throw new TypeError(`${msg.module} exports no function ${msg.name}`);
    value = await fn(...msg.args);
  } catch (err) {
    port.postMessage({ wire: serializeError(err) });
    return;
  }
  try {
    port.postMessage({ value }, transferables(value));
  } catch (err) {
    // A result that can't be cloned (a function in it) is the function's bug: say which one.
    port.postMessage({ wire: serializeError(new TypeError(`${msg.name}: its result can't leave the worker thread (${(err as Error).message})`)) });
  }
});
