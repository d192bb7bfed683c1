import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workerExecArgv } from '../util/worker-exec-argv.js';
import { Worker } from 'node:worker_threads';
import { HybridGymError } from '../errors.js';
import { checkDepSearchFiles, type DepSearchFindings, type DepSearchJob } from './dep-search/check-files.js';
import { checkFuncLocalizeFiles, type FuncLocalizeFindings, type FuncLocalizeJob } from './func-localize/check-files.js';

export type FileJobRequest = { task: 'func-localize'; job: FuncLocalizeJob } | { task: 'dep-search'; job: DepSearchJob };
type Findings<R extends FileJobRequest> = R extends { task: 'func-localize' } ? FuncLocalizeFindings : DepSearchFindings;

/** Runs a verifier's file work here (the worker calls it too). */
export function runFileJob(request: FileJobRequest): FuncLocalizeFindings | DepSearchFindings {
  return request.task === 'func-localize' ? checkFuncLocalizeFiles(request.job) : checkDepSearchFiles(request.job);
}

/**
 * Runs a verifier's file work on the verify worker (one per process, started on first use), so
 * that parsing never blocks the event loop. The worker is the bundle's `verify-worker` entry, next
 * to this module in dist/; where it is not (the sources run directly, as under vitest) the work
 * runs on the calling thread. `HYBRID_GYM_VERIFY_WORKER`: `off` always runs here, `require` fails
 * when there is no worker.
 */
export async function runFileJobOffThread<R extends FileJobRequest>(request: R): Promise<Findings<R>> {
  const mode = process.env.HYBRID_GYM_VERIFY_WORKER;
  const worker = mode === 'off' ? null : verifyWorker();
  if (!worker) {
    if (mode === 'require') throw new HybridGymError('VERIFY_WORKER', `no verify worker next to ${fileURLToPath(import.meta.url)} (HYBRID_GYM_VERIFY_WORKER=require)`);
    return runFileJob(request) as Findings<R>;
  }
  return worker.run(request) as Promise<Findings<R>>;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

class VerifyWorker {
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private readonly worker: Worker;

  constructor(file: string, private readonly onGone: () => void) {
    this.worker = new Worker(file, { execArgv: workerExecArgv() });
    this.worker.unref();
    this.worker.on('message', (msg: { id: number; result?: unknown; error?: { name: string; code?: string; message: string } }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) this.worker.unref();
      if (msg.error) {
        const e = msg.error.code ? new HybridGymError(msg.error.code, msg.error.message) : new Error(msg.error.message);
        if (!msg.error.code) e.name = msg.error.name;
        p.reject(e);
      } else p.resolve(msg.result);
    });
    const fail = (err: Error): void => {
      this.onGone();
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the verify worker exited (code ${code})`)));
  }

  run(request: FileJobRequest): Promise<unknown> {
    const id = this.next++;
    // The worker holds the process open only while it works.
    this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, request });
    });
  }
}

let shared: VerifyWorker | null | undefined;

function verifyWorker(): VerifyWorker | null {
  if (shared !== undefined) return shared;
  const here = import.meta.url;
  const ext = here.endsWith('.cjs') ? '.cjs' : '.js';
  // The module is in a chunk of dist/ (or dist/cli/ when bundled into the command line alone).
  const file = [`./verify-worker${ext}`, `../verify-worker${ext}`].map((p) => fileURLToPath(new URL(p, here))).find((f) => existsSync(f));
  shared = file ? new VerifyWorker(file, () => (shared = undefined)) : null;
  return shared;
}

/** A copy of just these bytes: a Buffer may be a view of a much larger one, which posting would copy whole. */
export function ownBytes(b: Buffer | undefined): Uint8Array | undefined {
  return b === undefined ? undefined : new Uint8Array(b);
}
