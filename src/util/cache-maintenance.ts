import { closeSync, constants, openSync, type Stats } from 'node:fs';
import { lstat, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_PACKAGE, isDemoFetchFolder } from './demo-package.js';
import { cacheRoot, TEMP_SUFFIX } from './json-cache.js';
import { at } from './proc-fd.js';

/**
 * What the host cache holds, one folder a kind: index packs, func-localize's candidates, leak
 * verdicts, image manifests, test maps, the demo's package. Maintenance touches only files of the
 * names the cache itself writes in these folders (below), so a cache root that is set to a folder
 * holding other things (`HYBRID_GYM_CACHE=$HOME`, with a `~/images/holiday.jpg`) loses none of them.
 */
export const CACHE_KINDS = ['analysis', 'func-localize', 'leaks', 'images', 'test-maps', 'demo'] as const;
export type CacheKind = (typeof CACHE_KINDS)[number];

/** The names each kind's files have, straight in its folder (`cacheFile()`, `manifestPath()`, test maps by key). */
const NAMES: Record<Exclude<CacheKind, 'demo'>, string> = {
  analysis: '[0-9a-f]{24}\\.v8',
  'func-localize': '[0-9a-f]{24}\\.v8',
  leaks: '[0-9a-f]{24}\\.v8',
  images: '(?:[0-9a-f]{64}|host-[0-9a-f]{24})\\.json',
  'test-maps': '[0-9a-f]{64}\\.json',
};
/** The demo's package as `dpkg -x` left it, `demo/<package>/`, removed only by `all` (a fetch's folder beside it goes when stale). */
const DEMO_FOLDER = DEMO_PACKAGE.deb;

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
    const add = (st: Stats): void => {
      usage.files++;
      usage.bytes += st.size;
      last = Math.max(last, st.mtimeMs);
    };
    await withFolder(join(dir, kind), async (folder) => {
      if (kind !== 'demo') return eachCacheFile(folder, kind, async (_, st) => add(st));
      for (const { name, files } of await demoFolders(folder)) if (name === DEMO_FOLDER) files.forEach(add);
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
 * is never removed in its first hour, `all` or not. A file that cannot be removed is kept (and
 * counted so); the rest of the cache is still pruned.
 */
export async function pruneCache(options: PruneCacheOptions = {}): Promise<PruneCacheResult> {
  const dir = options.dir ?? cacheRoot();
  if (!options.all && !(typeof options.olderThanDays === 'number' && options.olderThanDays > 0)) {
    throw new RangeError('pruneCache: give olderThanDays (a number of days > 0) or all: true');
  }
  const result: PruneCacheResult = { dir, removedFiles: 0, removedBytes: 0, keptFiles: 0 };
  const now = Date.now();
  const cutoff = options.all ? Number.POSITIVE_INFINITY : now - options.olderThanDays! * 24 * 60 * 60 * 1000;
  /** Counts a file as removed when `removed`, else as kept; true when removed. */
  const count = (removed: boolean, st: Stats): boolean => {
    if (removed) {
      result.removedFiles++;
      result.removedBytes += st.size;
    } else result.keptFiles++;
    return removed;
  };
  const removes = (path: string, options?: { recursive: true; force: true }): Promise<boolean> => rm(path, options).then(() => true, () => false);
  for (const kind of CACHE_KINDS) {
    let removedHere = false;
    await withFolder(join(dir, kind), async (folder) => {
      if (kind === 'demo') {
        for (const { name, st, files } of await demoFolders(folder)) {
          const remove = isDemoFetchFolder(name) ? st.mtimeMs < now - STALE_TEMP_MS : options.all === true;
          // rm never follows a link inside; the folder's own path goes through the held folder.
          const removed = remove && (await removes(folder.at(name), { recursive: true, force: true }));
          for (const f of files) removedHere = count(removed, f) || removedHere;
        }
        return;
      }
      await eachCacheFile(folder, kind, async (file, st, temp) => {
        const remove = temp ? st.mtimeMs < now - STALE_TEMP_MS : st.mtimeMs < cutoff;
        removedHere = count(remove && (await removes(file)), st) || removedHere;
      });
    });
    // A kind's folder this prune emptied goes too; one that was empty already is not ours to judge.
    if (removedHere) await rmdir(join(dir, kind)).catch(() => {});
  }
  return result;
}

/** The demo's package folder and fetch folders in `<cache>/demo/`, each with the files below it. */
async function demoFolders(folder: HeldFolder): Promise<Array<{ name: string; st: Stats; files: Stats[] }>> {
  const out: Array<{ name: string; st: Stats; files: Stats[] }> = [];
  for (const name of await namesIn(folder.path)) {
    if (name !== DEMO_FOLDER && !isDemoFetchFolder(name)) continue;
    const st = await lstat(folder.at(name)).catch(() => undefined);
    if (!st?.isDirectory()) continue;
    const files: Stats[] = [];
    await eachFile(folder.at(name), (_, f) => void files.push(f));
    out.push({ name, st, files });
  }
  return out;
}

/** A folder held open, never through a symlink: names inside resolve against what was opened, even if its path is swapped for a link meanwhile. */
interface HeldFolder {
  /** The path to read it by (through the held descriptor on Linux). */
  path: string;
  at(name: string): string;
}

/** Runs `use` with `path` held open as a folder; nothing when it is missing, not a folder, or a symlink. */
async function withFolder(path: string, use: (folder: HeldFolder) => Promise<void>): Promise<void> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch {
    return;
  }
  try {
    const linux = process.platform === 'linux';
    await use({ path: linux ? at(fd, '') : path, at: (name) => (linux ? at(fd, name) : join(path, name)) });
  } finally {
    closeSync(fd);
  }
}

/**
 * Each file of a hashed kind that the cache wrote: the files straight in its folder whose names
 * have that kind's shape, and their temporaries (`temp` true). Symlinks are neither followed nor counted.
 */
async function eachCacheFile(folder: HeldFolder, kind: Exclude<CacheKind, 'demo'>, visit: (file: string, st: Stats, temp: boolean) => Promise<void>): Promise<void> {
  const own = new RegExp(`^${NAMES[kind]}$`);
  const temp = new RegExp(`^${NAMES[kind]}${TEMP_SUFFIX}$`);
  for (const name of await namesIn(folder.path)) {
    const isTemp = temp.test(name);
    if (!isTemp && !own.test(name)) continue;
    const st = await lstat(folder.at(name)).catch(() => undefined);
    if (st?.isFile()) await visit(folder.at(name), st, isTemp);
  }
}

/** The names in a folder, sorted; none when it cannot be read. */
async function namesIn(folder: string): Promise<string[]> {
  return (await readdir(folder).catch(() => [] as string[])).sort();
}

/** Every regular file below `folder` (symlinks are neither followed nor counted); nothing when it is missing. */
async function eachFile(folder: string, visit: (file: string, st: Stats) => void | Promise<void>): Promise<void> {
  for (const name of await namesIn(folder)) {
    const file = join(folder, name);
    const st = await lstat(file).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) await eachFile(file, visit);
    else if (st.isFile()) await visit(file, st);
  }
}
