import type { Stats } from 'node:fs';
import { lstat, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot } from './json-cache.js';

/**
 * What the host cache holds, one folder a kind: index packs, func-localize's candidates, leak
 * verdicts, image manifests, test maps, the demo's package. Maintenance touches only these folders,
 * so a cache root that is set to a folder holding other things (`HYBRID_GYM_CACHE=$HOME`) loses none of them.
 */
export const CACHE_KINDS = ['analysis', 'func-localize', 'leaks', 'images', 'test-maps', 'demo'] as const;
export type CacheKind = (typeof CACHE_KINDS)[number];

/** Kinds whose files are judged by age; the demo's package is fetched once and kept until `all`. */
const AGED: readonly CacheKind[] = ['analysis', 'func-localize', 'leaks', 'images', 'test-maps'];

/** A write that died before its rename leaves `<file>.<pid>.<uuid>.tmp`: removed once this old. */
const STALE_TEMP_MS = 60 * 60 * 1000;

export interface CacheKindUsage {
  kind: CacheKind;
  files: number;
  bytes: number;
  /** When a file of this kind was last written or read (ISO time), if there is one. */
  lastUsed?: string;
}

export interface PruneCacheOptions {
  /** The cache folder. @default `$HYBRID_GYM_CACHE`, else `~/.cache/hybrid-gym` */
  dir?: string;
  /** Remove files not written or read for this many days (any number > 0). */
  olderThanDays?: number;
  /** Remove every kind's folder whole, the demo's package included. */
  all?: boolean;
}

export interface PruneCacheResult {
  dir: string;
  removedFiles: number;
  removedBytes: number;
  keptFiles: number;
}

/** Files and bytes of each kind of the host cache. */
export async function cacheUsage(dir: string = cacheRoot()): Promise<CacheKindUsage[]> {
  const out: CacheKindUsage[] = [];
  for (const kind of CACHE_KINDS) {
    const usage: CacheKindUsage = { kind, files: 0, bytes: 0 };
    let last = 0;
    await eachFile(join(dir, kind), (_, st) => {
      usage.files++;
      usage.bytes += st.size;
      last = Math.max(last, st.mtimeMs);
    });
    if (last > 0) usage.lastUsed = new Date(last).toISOString();
    out.push(usage);
  }
  return out;
}

/**
 * Removes from the host cache what has not been used for `olderThanDays` (and writes that died
 * before their rename, an hour on), or with `all` every kind's folder. Only ever costs a later run
 * time: whatever is removed is rebuilt when next needed. A run that reads or writes the cache
 * meanwhile is safe (every cache file is read whole and written under a temporary name).
 */
export async function pruneCache(options: PruneCacheOptions = {}): Promise<PruneCacheResult> {
  const dir = options.dir ?? cacheRoot();
  if (!options.all && !(typeof options.olderThanDays === 'number' && options.olderThanDays > 0)) {
    throw new RangeError('pruneCache: give olderThanDays (a number of days > 0) or all: true');
  }
  const result: PruneCacheResult = { dir, removedFiles: 0, removedBytes: 0, keptFiles: 0 };
  const now = Date.now();
  const cutoff = options.all ? Number.POSITIVE_INFINITY : now - options.olderThanDays! * 24 * 60 * 60 * 1000;
  for (const kind of CACHE_KINDS) {
    const aged = options.all || AGED.includes(kind);
    await eachFile(join(dir, kind), async (file, st) => {
      const staleTemp = file.endsWith('.tmp') && st.mtimeMs < now - STALE_TEMP_MS;
      if ((aged && st.mtimeMs < cutoff) || staleTemp) {
        await rm(file, { force: true });
        result.removedFiles++;
        result.removedBytes += st.size;
      } else result.keptFiles++;
    });
    await removeEmptyFolders(join(dir, kind));
  }
  return result;
}

type Stat = Stats;

/** Every regular file below `folder` (symlinks are neither followed nor counted, `folder` itself included); nothing when it is missing. */
async function eachFile(folder: string, visit: (file: string, st: Stat) => void | Promise<void>): Promise<void> {
  if (!(await isRealFolder(folder))) return;
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return;
  }
  for (const name of names.sort()) {
    const file = join(folder, name);
    const st = await lstat(file).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) await eachFile(file, visit);
    else if (st.isFile()) await visit(file, st);
  }
}

/** A folder, not a symlink to one: a kind's folder linked elsewhere (`analysis -> /data`) is left alone, its target never walked. */
async function isRealFolder(folder: string): Promise<boolean> {
  return (await lstat(folder).catch(() => undefined))?.isDirectory() === true;
}

/** Removes the folders below `folder` (and it) that are left empty; a folder in use stays. */
async function removeEmptyFolders(folder: string): Promise<void> {
  if (!(await isRealFolder(folder))) return;
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const sub = join(folder, name);
    if ((await lstat(sub).catch(() => undefined))?.isDirectory()) await removeEmptyFolders(sub);
  }
  await rmdir(folder).catch(() => {});
}
