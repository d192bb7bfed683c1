import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import createDebug from 'debug';
import type { ModuleTable } from './discover.js';
import { workerExecArgv } from '../../util/worker-exec-argv.js';
import { freeTrees } from './free-trees.js';
import { indexFile, type FileResult } from './index-file.js';
import type { WorkerJob, WorkerReply, WorkerSetup } from './index-worker.js';

const log = createDebug('hybrid-gym:analysis');

export interface FileJob {
  file: string;
  /** Emptied once the file is indexed. */
  bytes: Buffer;
}

const NO_BYTES = Buffer.alloc(0);

/** Below this much source, starting workers (a tree-sitter load each) costs more than it saves. */
const MIN_WORKER_BYTES = 2 * 1024 * 1024;
/** A worker is sent files in batches of about this many bytes (small enough to share out evenly). */
const BATCH_BYTES = 128 * 1024;

/** The bundled worker script next to this module (dist/analysis-worker.js); null when run from source or re-bundled. */
export function workerScript(): URL | null {
  for (const rel of ['./analysis-worker.js', '../analysis-worker.js']) {
    const url = new URL(rel, import.meta.url);
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return url;
  }
  return null;
}

/**
 * How many workers will index these jobs: `requested`, else all cores (at most 8) for over 2 MB of
 * source and none below; never more than there are files, and none without a worker script
 * (run from source, or re-bundled) or with a single file.
 */
export function workerCount(requested: number | undefined, jobs: readonly FileJob[]): number {
  const bytes = jobs.reduce((n, j) => n + j.bytes.length, 0);
  const wanted = requested ?? (bytes < MIN_WORKER_BYTES ? 0 : Math.min(availableParallelism(), 8));
  if (wanted > 0 && !workerScript()) log('no worker script beside the module: indexing in this thread');
  return wanted > 0 && jobs.length > 1 && workerScript() ? Math.min(wanted, jobs.length) : 0;
}

/**
 * Indexes the files, in `workers` threads (from {@link workerCount}; in this thread when 0, and
 * for what a failed worker left). Results come back through `done` in any order.
 */
export async function indexFiles(
  jobs: readonly FileJob[],
  table: ModuleTable,
  setup: WorkerSetup,
  workers: number,
  done: (result: FileResult) => void,
): Promise<void> {
  const script = workers > 0 ? workerScript() : null;
  if (!script) {
    await inThisThread(jobs, table, setup.calls, done);
    return;
  }
  const batches = inBatches(jobs);
  const leftOver: FileJob[] = [];
  let next = 0;
  const runWorker = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const worker = new Worker(script, { workerData: setup, execArgv: workerExecArgv() });
      let inFlight: FileJob[] | null = null;
      let settled = false;
      const finish = (): void => {
        if (settled) return;
        settled = true;
        void worker.terminate();
        resolve();
      };
      const send = (): void => {
        const batch = batches[next++];
        if (!batch) {
          inFlight = null;
          finish();
          return;
        }
        inFlight = batch;
        worker.postMessage({ id: next, files: batch.map((j) => ({ file: j.file, bytes: j.bytes })) } satisfies WorkerJob);
      };
      worker.on('message', (reply: WorkerReply) => {
        for (const r of reply.results) done(r);
        // The file's bytes are not needed any more: let them go now, not when the whole index is done.
        for (const j of inFlight ?? []) j.bytes = NO_BYTES;
        send();
      });
      // A worker that fails leaves its batch to this thread; the others go on.
      const fail = (err: unknown): void => {
        if (settled) return;
        log('an indexing worker failed (%s): its files are indexed in this thread', err instanceof Error ? err.message : String(err));
        if (inFlight) leftOver.push(...inFlight);
        inFlight = null;
        finish();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
      send();
    });
  await Promise.all(Array.from({ length: Math.min(workers, batches.length) }, runWorker));
  // Batches no worker took (every worker failed) and those a failed worker held.
  for (; next < batches.length; next++) leftOver.push(...batches[next]!);
  await inThisThread(leftOver, table, setup.calls, done);
}

/** Indexes files here, letting each batch's trees go when there are many. */
async function inThisThread(jobs: readonly FileJob[], table: ModuleTable, calls: boolean, done: (result: FileResult) => void): Promise<void> {
  // A small repository's trees are few: collecting them would cost this thread more than they hold.
  const large = jobs.reduce((n, j) => n + j.bytes.length, 0) >= MIN_WORKER_BYTES;
  for (const batch of inBatches(jobs)) {
    for (const j of batch) {
      done(indexFile(j.file, j.bytes, table, calls));
      j.bytes = NO_BYTES;
    }
    if (large) await freeTrees();
  }
}

function inBatches(jobs: readonly FileJob[]): FileJob[][] {
  const batches: FileJob[][] = [];
  let current: FileJob[] = [];
  let size = 0;
  for (const j of jobs) {
    current.push(j);
    size += j.bytes.length;
    if (size >= BATCH_BYTES) {
      batches.push(current);
      current = [];
      size = 0;
    }
  }
  if (current.length) batches.push(current);
  return batches;
}
