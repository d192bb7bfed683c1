// A worker thread of the indexer (bundled as dist/analysis-worker.js): indexes the files it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { ModuleTable } from './discover.js';
import { freeTrees } from './free-trees.js';
import { indexFile, type FileResult } from './index-file.js';

export interface WorkerSetup {
  files: string[];
  rootName: string;
  calls: boolean;
}

export interface WorkerJob {
  id: number;
  files: Array<{ file: string; bytes: Uint8Array }>;
}

export interface WorkerReply {
  id: number;
  results: FileResult[];
}

const setup = workerData as WorkerSetup;
const table = new ModuleTable(setup.files, setup.rootName);

parentPort?.on('message', async (job: WorkerJob) => {
  const results = job.files.map(({ file, bytes }) =>
    indexFile(file, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), table, setup.calls),
  );
  // The batch's trees go before the next batch comes.
  await freeTrees();
  parentPort!.postMessage({ id: job.id, results } satisfies WorkerReply);
});
