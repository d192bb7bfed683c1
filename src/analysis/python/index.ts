import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import createDebug from 'debug';
import type { Definition, SkippedFile, SourceFile } from '../types.js';
import { discoverPythonFiles, ModuleTable, pythonFilesAmong } from './discover.js';
import { contentHash } from '../../util/disk-cache.js';
import { IndexCache } from './index-cache.js';
import type { FileResult } from './index-file.js';
import { indexFiles, workerCount, type FileJob } from './index-pool.js';
import { PythonRepoIndex } from './repo-index.js';
import type { FileSymbols } from './scopes.js';

const log = createDebug('hybrid-gym:analysis');

/** How far indexing has come: files done of the files to index, and how many came from the cache. */
export interface IndexProgress {
  done: number;
  total: number;
  cached: number;
  /** Worker threads parsing the files not in the cache (0: this thread parses them). */
  workers: number;
}

export interface PythonIndexOptions {
  maxFileBytes: number;
  /** Collect scopes, imports and call sites (what callSites/callees read); false: definitions only. */
  calls: boolean;
  /** Only files this accepts are indexed (all files still make up the module layout). */
  include?: (file: string) => boolean;
  /** The repository's bytes, already read: its Python files (by discovery's rules) are indexed from them, the disk not read. */
  files?: ReadonlyMap<string, Uint8Array>;
  /** Cache folder, or null for none. */
  cache: string | null;
  /** Worker threads; undefined: every core for a large repository, none for a small one. */
  workers?: number;
  onProgress?: (p: IndexProgress) => void;
}

type Loaded = { file: string; bytes?: Buffer; skip?: SkippedFile };

async function load(root: string, file: string, maxFileBytes: number, given?: ReadonlyMap<string, Uint8Array>): Promise<Loaded> {
  if (given) {
    const bytes = given.get(file);
    if (!bytes) return { file, skip: { file, reason: 'unreadable', detail: 'not among the files given' } };
    if (bytes.length > maxFileBytes) return { file, skip: { file, reason: 'too-large', detail: `${bytes.length} bytes > ${maxFileBytes}` } };
    return { file, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length) };
  }
  try {
    const full = path.join(root, file);
    const size = (await stat(full)).size;
    if (size > maxFileBytes) return { file, skip: { file, reason: 'too-large', detail: `${size} bytes > ${maxFileBytes}` } };
    return { file, bytes: await readFile(full) };
  } catch (err) {
    return { file, skip: { file, reason: 'unreadable', detail: (err as Error).message } };
  }
}

/** Reads every file (from `given` when there), a few dozen at a time. */
async function loadAll(root: string, files: readonly string[], maxFileBytes: number, given?: ReadonlyMap<string, Uint8Array>): Promise<Loaded[]> {
  const out: Loaded[] = new Array(files.length);
  let next = 0;
  const reader = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      out[i] = await load(root, files[i]!, maxFileBytes, given);
    }
  };
  await Promise.all(Array.from({ length: 32 }, reader));
  return out;
}

/**
 * Indexes the Python files of a repository: definitions, and with `calls` the scopes, imports and
 * call sites. Each file's result is looked up in the cache by its content hash first; the rest are
 * indexed on every core for a large repository. The order of everything is the files' sorted order.
 */
export async function indexPythonRepo(rootDir: string, options: PythonIndexOptions): Promise<PythonRepoIndex> {
  const root = path.resolve(rootDir);
  const started = Date.now();
  // Given bytes are the repository: its files are theirs, whatever the disk holds by now.
  const all = options.files ? pythonFilesAmong(options.files.keys()) : await discoverPythonFiles(root);
  const rootName = path.basename(root);
  const table = new ModuleTable(all, rootName);
  const files = options.include ? all.filter(options.include) : all;
  const loaded = await loadAll(root, files, options.maxFileBytes, options.files);
  const mode = options.calls ? 'calls' : 'outline';
  const cache = options.cache
    ? await IndexCache.open(options.cache, root, mode, createHashOfLayout(all, rootName))
    : null;

  const results = new Map<string, FileResult>();
  const hashes = new Map<string, string>();
  const jobs: FileJob[] = [];
  for (const l of loaded) {
    if (!l.bytes) continue;
    const hash = cache ? contentHash(l.bytes) : '';
    const hit = cache?.get(l.file, hash);
    if (hit) results.set(l.file, hit);
    else {
      if (cache) hashes.set(l.file, hash);
      jobs.push({ file: l.file, bytes: l.bytes });
    }
    l.bytes = undefined; // The job holds them until the file is indexed.
  }
  const total = results.size + jobs.length;
  const cached = results.size;
  let done = cached;
  let lastReport = 0;
  const workers = workerCount(options.workers, jobs);
  const report = (force = false): void => {
    if (!options.onProgress) return;
    const now = Date.now();
    if (!force && now - lastReport < 250) return;
    lastReport = now;
    options.onProgress({ done, total, cached, workers });
  };
  report(true);
  await indexFiles(jobs, table, { files: all, rootName, calls: options.calls }, workers, (r) => {
    results.set(r.file, r);
    const hash = hashes.get(r.file);
    if (cache && hash !== undefined) cache.set(r.file, hash, r);
    done++;
    report();
  });
  if (total > 0) report(true);
  if (cache) {
    cache.keepOnly(new Set(all));
    await cache.save();
  }

  const sources: SourceFile[] = [];
  const definitions: Definition[] = [];
  const skipped: SkippedFile[] = [];
  const symbols = new Map<string, FileSymbols>();
  for (const l of loaded) {
    if (l.skip) {
      skipped.push(l.skip);
      continue;
    }
    const r = results.get(l.file);
    if (!r) continue;
    if ('skip' in r) {
      skipped.push(r.skip);
      continue;
    }
    sources.push(r.source);
    definitions.push(...r.definitions);
    if (r.symbols) symbols.set(l.file, r.symbols);
  }
  log(
    'indexed %d files (%d from the cache, %d workers, %d skipped), %d definitions in %d ms',
    sources.length, cached, workers, skipped.length, definitions.length, Date.now() - started,
  );
  return new PythonRepoIndex(root, sources, definitions, skipped, symbols, table, options.calls);
}

/** The module layout every result depends on (names, import keys): the repository's file list. */
function createHashOfLayout(files: readonly string[], rootName: string): string {
  return contentHash(Buffer.from(JSON.stringify([rootName, files])));
}
