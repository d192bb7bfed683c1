import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import createDebug from 'debug';
import { cacheFile, readCached, writeCached } from '../../util/disk-cache.js';
import type { FileResult } from './index-file.js';
import { workerScript } from './index-pool.js';

const log = createDebug('hybrid-gym:analysis');

/** Bumped when the pack's own layout changes (the analysis code is fingerprinted separately). */
const PACK_FORMAT = 1;

let codeHash: string | undefined;

/**
 * A fingerprint of the analysis code itself, so that a new version never reads an old one's
 * results: the bundled worker script (its imports name content-hashed chunks), or, run from
 * source, every file beside this module.
 */
function analysisCodeHash(): string {
  if (codeHash) return codeHash;
  const h = createHash('sha256');
  const worker = workerScript();
  if (worker) h.update(readFileSync(worker));
  else {
    const here = path.dirname(fileURLToPath(import.meta.url));
    for (const f of readdirSync(here).sort()) if (/\.[cm]?[jt]s$/.test(f)) h.update(f).update(readFileSync(path.join(here, f)));
  }
  return (codeHash = h.digest('hex'));
}

interface Pack {
  format: number;
  code: string;
  /** What every result depends on besides the file itself: the module layout. */
  context: string;
  entries: Map<string, { hash: string; blob: Buffer }>;
}

/**
 * The results of one repository's indexing: one pack per repository folder and mode, each file's
 * result looked up by its path and content hash. A pack of another version or layout is ignored
 * and rewritten.
 */
export class IndexCache {
  private changed = false;

  private constructor(
    private readonly file: string,
    private readonly pack: Pack,
  ) {}

  static async open(dir: string, root: string, mode: string, context: string): Promise<IndexCache> {
    const file = cacheFile(dir, 'analysis', `${root}\0${mode}`);
    const fresh: Pack = { format: PACK_FORMAT, code: analysisCodeHash(), context, entries: new Map() };
    const pack = (await readCached(file)) as Pack | undefined;
    if (pack && pack.format === PACK_FORMAT && pack.code === fresh.code && pack.context === context && pack.entries instanceof Map) {
      return new IndexCache(file, pack);
    }
    if (pack) log('cache %s is of another version or layout: rebuilt', file);
    return new IndexCache(file, fresh);
  }

  get(file: string, hash: string): FileResult | undefined {
    const e = this.pack.entries.get(file);
    if (!e || e.hash !== hash) return undefined;
    try {
      return deserialize(e.blob) as FileResult;
    } catch {
      return undefined;
    }
  }

  set(file: string, hash: string, result: FileResult): void {
    this.pack.entries.set(file, { hash, blob: serialize(result) });
    this.changed = true;
  }

  /** Drops entries of files no longer indexed. */
  keepOnly(files: ReadonlySet<string>): void {
    for (const f of this.pack.entries.keys()) {
      if (!files.has(f)) {
        this.pack.entries.delete(f);
        this.changed = true;
      }
    }
  }

  async save(): Promise<void> {
    if (!this.changed) return;
    await writeCached(this.file, this.pack);
    this.changed = false;
  }
}
