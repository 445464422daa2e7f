// The render worker (a worker_threads entry, bundled as dist/renderWorker.js): renders message
// bodies off the extension host's main thread. It gets { id, input: BodyInput }, says
// { id, started: true } when it begins (the host's time budget counts from there, not from the
// worker's start-up or the copy of the input), and answers { id, rendering: BodyRendering } or
// { id, error }. The host terminates it when a render runs past
// its time budget (renderHost.ts); it holds no state between messages.
import { parentPort } from 'node:worker_threads';
import { type BodyInput, renderBody } from './body';

parentPort?.on('message', (message: { id: number; input: BodyInput }) => {
  try {
    parentPort!.postMessage({ id: message.id, started: true });
    parentPort!.postMessage({ id: message.id, rendering: renderBody(message.input) });
  } catch (err) {
    parentPort!.postMessage({ id: message.id, error: err instanceof Error ? err.message : String(err) });
  }
});
