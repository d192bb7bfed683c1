import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import createDebug from 'debug';
import { cacheFile, moduleCodeHash } from '../../util/disk-cache.js';
import { tempNameFor, touchCacheFile } from '../../util/json-cache.js';
import type { FileResult } from './index-file.js';

const log = createDebug('hybrid-gym:analysis');

/** Bumped when the pack's own layout changes (the analysis code is fingerprinted separately). */
const PACK_FORMAT = 2;

/** A fingerprint of the analysis code, so that a new version never reads an old one's results. */
export function analysisCodeHash(): string {
  return moduleCodeHash(import.meta.url);
}

/** The pack's table of contents, written after the results it points into. */
interface Header {
  format: number;
  code: string;
  /** What every result depends on besides the file itself: the module layout. */
  context: string;
  entries: Array<[file: string, hash: string, offset: number, length: number]>;
}

type Entry = { hash: string; blob?: Buffer; result?: FileResult };

/**
 * The results of one repository's indexing: one pack per repository folder and mode, each file's
 * result looked up by its path and content hash. The pack is each result's v8 serialization, one
 * after the other, then a table of contents and its length: read whole, each result is
 * deserialized only when asked for; written one result at a time (never all of them at once in
 * memory twice), to a temporary file renamed into place. A pack of another version or layout, or
 * one that cannot be read, is ignored and rewritten.
 */
export class IndexCache {
  private changed = false;

  private constructor(
    private readonly file: string,
    private readonly header: Omit<Header, 'entries'>,
    private readonly entries: Map<string, Entry>,
  ) {}

  static async open(dir: string, root: string, mode: string, context: string): Promise<IndexCache> {
    const file = cacheFile(dir, 'analysis', `${root}\0${mode}`);
    const header = { format: PACK_FORMAT, code: analysisCodeHash(), context };
    const entries = new Map<string, Entry>();
    let bytes: Buffer | undefined;
    try {
      bytes = await readFile(file);
    } catch {
      return new IndexCache(file, header, entries);
    }
    try {
      const tocLength = bytes.readUInt32LE(bytes.length - 4);
      const toc = deserialize(bytes.subarray(bytes.length - 4 - tocLength, bytes.length - 4)) as Header;
      if (toc.format === PACK_FORMAT && toc.code === header.code && toc.context === context && Array.isArray(toc.entries)) {
        for (const [f, hash, offset, length] of toc.entries) entries.set(f, { hash, blob: bytes.subarray(offset, offset + length) });
        void touchCacheFile(file);
      } else log('cache %s is of another version or layout: rebuilt', file);
    } catch (err) {
      log('cache %s unreadable (%s): rebuilt', file, (err as Error).message);
      entries.clear();
    }
    return new IndexCache(file, header, entries);
  }

  get(file: string, hash: string): FileResult | undefined {
    const e = this.entries.get(file);
    if (!e || e.hash !== hash) return undefined;
    if (e.result) return e.result;
    try {
      return deserialize(e.blob!) as FileResult;
    } catch {
      return undefined;
    }
  }

  set(file: string, hash: string, result: FileResult): void {
    this.entries.set(file, { hash, result });
    this.changed = true;
  }

  /** Drops entries of files no longer in the repository. */
  keepOnly(files: ReadonlySet<string>): void {
    for (const f of this.entries.keys()) {
      if (!files.has(f)) {
        this.entries.delete(f);
        this.changed = true;
      }
    }
  }

  /** Writes the pack when anything changed; a pack that cannot be written costs the next run time, never this run its result. */
  async save(): Promise<void> {
    if (!this.changed) return;
    const tmp = tempNameFor(this.file);
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      const out = await open(tmp, 'w');
      const toc: Header = { ...this.header, entries: [] };
      try {
        let offset = 0;
        for (const [f, e] of this.entries) {
          const blob = e.blob ?? serialize(e.result);
          await out.write(blob);
          toc.entries.push([f, e.hash, offset, blob.length]);
          offset += blob.length;
        }
        const tocBytes = serialize(toc);
        const length = Buffer.alloc(4);
        length.writeUInt32LE(tocBytes.length);
        await out.write(Buffer.concat([tocBytes, length]));
      } finally {
        await out.close();
      }
      await rename(tmp, this.file);
      this.changed = false;
    } catch (err) {
      log('cache %s not written: %s', this.file, (err as Error).message);
      await rm(tmp, { force: true }).catch(() => undefined);
    }
  }
}
