import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { touchCacheFile, writeFileAtomic } from './json-cache.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import createDebug from 'debug';

const log = createDebug('hybrid-gym:cache');

/** sha256 of bytes, base64url: what cached results are keyed by. */
export function contentHash(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('base64url');
}

/** The file under `dir/kind/` that holds what is cached about `key` (a repository folder, say). */
export function cacheFile(dir: string, kind: string, key: string): string {
  return path.join(dir, kind, `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.v8`);
}

/** A cached value written by {@link writeCached}, or undefined when absent or unreadable (never throws). */
export async function readCached(file: string): Promise<unknown> {
  if (!existsSync(file)) return undefined;
  try {
    const value: unknown = deserialize(await readFile(file));
    void touchCacheFile(file);
    return value;
  } catch (err) {
    log('%s unreadable (%s): ignored', file, (err as Error).message);
    return undefined;
  }
}

/**
 * Writes a value (anything structured clone takes: Maps, Sets, Buffers) to a temporary file renamed
 * into place, so a reader sees the old or the new file, never a torn one. A cache that cannot be
 * written costs the next run time, never this run its result: failures are logged, not thrown.
 */
export async function writeCached(file: string, value: unknown): Promise<void> {
  try {
    await writeFileAtomic(file, serialize(value));
  } catch (err) {
    log('%s not written: %s', file, (err as Error).message);
  }
}

const codeHashes = new Map<string, string>();

/**
 * A fingerprint of the code beside a module (every script in its folder: the whole bundle in a
 * build, the module's own folder run from source), so that results cached by one version of the
 * code are never read by another.
 */
export function moduleCodeHash(moduleUrl: string): string {
  const dir = path.dirname(fileURLToPath(moduleUrl));
  let hash = codeHashes.get(dir);
  if (!hash) {
    const h = createHash('sha256');
    for (const f of readdirSync(dir).sort()) if (/\.[cm]?[jt]s$/.test(f) && !f.endsWith('.d.ts')) h.update(f).update(readFileSync(path.join(dir, f)));
    hash = h.digest('base64url');
    codeHashes.set(dir, hash);
  }
  return hash;
}
