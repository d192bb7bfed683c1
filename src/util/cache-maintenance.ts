import type { Stats } from 'node:fs';
import { lstat, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot } from './json-cache.js';

/**
 * What the host cache holds, one folder a kind: index packs, func-localize's candidates, leak
 * verdicts, image manifests, test maps, the demo's package. Maintenance touches only files of the
 * names the cache itself writes in these folders (below), so a cache root that is set to a folder
 * holding other things (`HYBRID_GYM_CACHE=$HOME`, with a `~/images/holiday.jpg`) loses none of them.
 */
export const CACHE_KINDS = ['analysis', 'func-localize', 'leaks', 'images', 'test-maps', 'demo'] as const;
export type CacheKind = (typeof CACHE_KINDS)[number];

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** The names each kind's files have, straight in its folder (`cacheFile()`, `manifestPath()`, test maps by key). */
const NAMES: Record<Exclude<CacheKind, 'demo'>, string> = {
  analysis: '[0-9a-f]{24}\\.v8',
  'func-localize': '[0-9a-f]{24}\\.v8',
  leaks: '[0-9a-f]{24}\\.v8',
  images: '(?:[0-9a-f]{64}|host-[0-9a-f]{24})\\.json',
  'test-maps': '[0-9a-f]{64}\\.json',
};
/** The demo's package: `demo/<Debian package>/` as `dpkg -x` left it, removed only by `all`. */
const DEMO_PACKAGE = /^python3-[a-z0-9][a-z0-9.+-]*$/;

/** A write that died before its rename leaves `<file>.<pid>.<uuid>.tmp`: removed once this old, never sooner (a run may be writing it). */
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

/** Files and bytes of each kind of the host cache (only files of the names the cache writes). */
export async function cacheUsage(dir: string = cacheRoot()): Promise<CacheKindUsage[]> {
  const out: CacheKindUsage[] = [];
  for (const kind of CACHE_KINDS) {
    const usage: CacheKindUsage = { kind, files: 0, bytes: 0 };
    let last = 0;
    await eachCacheFile(dir, kind, (_, st) => {
      usage.files++;
      usage.bytes += st.size;
      last = Math.max(last, st.mtimeMs);
    });
    // The demo's files keep the dates its Debian package gave them: no use to report.
    if (last > 0 && kind !== 'demo') usage.lastUsed = new Date(last).toISOString();
    out.push(usage);
  }
  return out;
}

/**
 * Removes from the host cache what has not been used for `olderThanDays` (and writes that died
 * before their rename, an hour on), or with `all` everything the cache wrote. Only ever costs a
 * later run time: whatever is removed is rebuilt when next needed. A run that reads or writes the
 * cache meanwhile is safe: every cache file is read whole, and written under a temporary name that
 * is never removed in its first hour, `all` or not.
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
    await eachCacheFile(dir, kind, async (file, st, temp) => {
      const remove = temp ? st.mtimeMs < now - STALE_TEMP_MS : kind === 'demo' ? options.all === true : st.mtimeMs < cutoff;
      if (remove) {
        await rm(file, { force: true });
        result.removedFiles++;
        result.removedBytes += st.size;
      } else result.keptFiles++;
    });
    if (kind === 'demo' && options.all) {
      // What dpkg -x left besides files (links, empty folders) goes with the package; rm never follows a link.
      for (const name of await namesIn(join(dir, kind))) {
        if (DEMO_PACKAGE.test(name) && (await isRealFolder(join(dir, kind, name)))) await rm(join(dir, kind, name), { recursive: true, force: true });
      }
    }
    await removeIfEmpty(join(dir, kind));
  }
  return result;
}

/**
 * Each file of a kind that the cache wrote: in a hashed kind, the files straight in its folder
 * whose names have that kind's shape (and their temporaries, `temp` true); in `demo`, every file of
 * a package's folder. Symlinks are neither followed nor counted, the kind's folder included.
 */
async function eachCacheFile(dir: string, kind: CacheKind, visit: (file: string, st: Stats, temp: boolean) => void | Promise<void>): Promise<void> {
  const folder = join(dir, kind);
  if (kind === 'demo') {
    for (const name of await namesIn(folder)) if (DEMO_PACKAGE.test(name)) await eachFile(join(folder, name), (f, st) => visit(f, st, false));
    return;
  }
  const own = new RegExp(`^${NAMES[kind]}$`);
  const temp = new RegExp(`^${NAMES[kind]}\\.\\d+\\.${UUID}\\.tmp$`);
  for (const name of await namesIn(folder)) {
    const isTemp = temp.test(name);
    if (!isTemp && !own.test(name)) continue;
    const st = await lstat(join(folder, name)).catch(() => undefined);
    if (st?.isFile()) await visit(join(folder, name), st, isTemp);
  }
}

/** The names in a folder that is not a symlink, sorted; none when it is missing. */
async function namesIn(folder: string): Promise<string[]> {
  if (!(await isRealFolder(folder))) return [];
  return (await readdir(folder).catch(() => [] as string[])).sort();
}

/** Every regular file below `folder` (symlinks are neither followed nor counted, `folder` itself included); nothing when it is missing. */
async function eachFile(folder: string, visit: (file: string, st: Stats) => void | Promise<void>): Promise<void> {
  for (const name of await namesIn(folder)) {
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

/** Removes a kind's folder if it is left empty (and is not a symlink); a folder in use stays. */
async function removeIfEmpty(folder: string): Promise<void> {
  if (await isRealFolder(folder)) await rmdir(folder).catch(() => {});
}
