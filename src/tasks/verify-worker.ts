// The verifiers' file work on a thread of its own (see verify-offload.ts): parsing a large file
// must not stall the event loop that steps the other episodes of a rollout.
import { parentPort } from 'node:worker_threads';
import { runFileJob, type FileJobRequest } from './verify-offload.js';

parentPort?.on('message', (msg: { id: number; request: FileJobRequest }) => {
  try {
    parentPort!.postMessage({ id: msg.id, result: runFileJob(msg.request) });
  } catch (err) {
    const e = err as { name?: string; code?: unknown; message?: string };
    parentPort!.postMessage({ id: msg.id, error: { name: e.name ?? 'Error', code: typeof e.code === 'string' ? e.code : undefined, message: e.message ?? String(err) } });
  }
});
