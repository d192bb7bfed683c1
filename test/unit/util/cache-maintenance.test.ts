import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { indexRepo } from '../../../src/analysis/index.js';
import { cacheUsage, pruneCache } from '../../../src/util/cache-maintenance.js';
import { readCached, writeCached } from '../../../src/util/disk-cache.js';
import { readJsonCache, writeJsonCache } from '../../../src/util/json-cache.js';

/** What the prune's file removals meet: a removal that fails, and what happens just before one. */
let failRm: ((path: string) => boolean) | undefined;
let beforeRm: (() => Promise<void>) | undefined;
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const rmHooked = async (...args: Parameters<typeof real.rm>): Promise<void> => {
    await beforeRm?.();
    if (failRm?.(String(args[0]))) throw Object.assign(new Error(`EISDIR: ${String(args[0])}`), { code: 'EISDIR' });
    return real.rm(...args);
  };
  return { ...real, rm: rmHooked, default: { ...real, rm: rmHooked } };
});

const DAY = 24 * 60 * 60 * 1000;
let dir: string;
beforeEach(async () => {
  failRm = undefined;
  beforeRm = undefined;
  dir = await mkdtemp(join(tmpdir(), 'hg-cache-maint-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A file of `bytes` bytes last used `daysAgo` days ago. */
async function put(rel: string, daysAgo: number, bytes = 10): Promise<string> {
  const file = join(dir, rel);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, 'x'.repeat(bytes));
  const t = new Date(Date.now() - daysAgo * DAY);
  await utimes(file, t, t);
  return file;
}

/** Waits for the fire-and-forget time stamp a cache read leaves behind. */
async function mtimeSettled(file: string, after: number): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const m = (await stat(file)).mtimeMs;
    if (m > after) return m;
    await new Promise((r) => setTimeout(r, 10));
  }
  return (await stat(file)).mtimeMs;
}

/** Cache file names of the shapes the cache writes: a pack, candidates or verdicts; a manifest or a test map; a temporary. */
const v8 = (c: string): string => `${c.repeat(24)}.v8`;
const json64 = (c: string): string => `${c.repeat(64)}.json`;
const temp = (name: string, pid = 123): string => `${name}.${pid}.0f8fad5b-d9cb-469f-a165-70867728950e.tmp`;

describe('pruning the host cache', () => {
  it('removes files unused for the given days, keeps the rest and everything that is not a cache kind', async () => {
    const old = await put(`analysis/${v8('a')}`, 40, 100);
    const recent = await put(`analysis/${v8('b')}`, 2, 50);
    const oldManifest = await put(`images/${json64('c')}`, 31, 7);
    const demo = await put('demo/python3-toolz/usr/lib/python3/dist-packages/toolz/__init__.py', 900);
    const mine = await put('notes.txt', 900);
    const other = await put('elsewhere/old.bin', 900);
    const r = await pruneCache({ dir, olderThanDays: 30 });
    expect(r).toEqual({ dir, removedFiles: 2, removedBytes: 107, keptFiles: 2 });
    expect([old, oldManifest].map(existsSync)).toEqual([false, false]);
    expect([recent, demo, mine, other].map(existsSync)).toEqual([true, true, true, true]);
    // A kind's folder left empty goes too.
    expect(existsSync(join(dir, 'images'))).toBe(false);
  });

  it('a cache folder that is $HOME: files in folders named like kinds, but not named as the cache names them, are never touched', async () => {
    const mine = [
      await put('images/holiday.jpg', 900),
      await put('images/notes.json', 900),
      await put('images/2019/beach.png', 900),
      await put(`images/${json64('d')}.bak`, 900),
      await put('analysis/report.v8', 900),
      await put(`analysis/sub/${v8('e')}`, 900),
      await put('test-maps/plan.json', 900),
      await put('leaks/draft.txt.1.tmp', 900),
      await put('demo/slides/talk.pdf', 900),
    ];
    const cached = await put(`images/${json64('f')}`, 900);
    const host = await put(`images/host-${'a'.repeat(24)}.json`, 900);
    expect((await cacheUsage(dir)).find((u) => u.kind === 'images')).toMatchObject({ files: 2 });
    for (const all of [false, true]) {
      await pruneCache({ dir, ...(all ? { all } : { olderThanDays: 1 }) });
      expect(mine.map(existsSync)).toEqual(mine.map(() => true));
    }
    expect([cached, host].map(existsSync)).toEqual([false, false]);
  });

  it('removes a write that died before its rename once it is an hour old, never a fresh one, not even with all', async () => {
    const stale = await put(`func-localize/${temp(v8('1'))}`, 0.1);
    const writing = await put(`leaks/${temp(v8('2'), 456)}`, 0);
    await pruneCache({ dir, olderThanDays: 30 });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(writing)).toBe(true);
    await pruneCache({ dir, all: true });
    expect(existsSync(writing)).toBe(true);
  });

  it('--all removes every kind, the demo package included, and nothing else; a symlink is never followed', async () => {
    const outside = await put('elsewhere/keep.txt', 0);
    await put(`test-maps/${json64('0')}`, 0);
    await put('demo/python3-toolz/a.py', 0);
    await symlink('a.py', join(dir, 'demo/python3-toolz/link.py'));
    await mkdir(join(dir, 'leaks'), { recursive: true });
    await symlink(join(dir, 'elsewhere'), join(dir, 'leaks', v8('3')));
    // A kind's folder that is itself a link: its target is never walked.
    await mkdir(join(dir, 'precious'));
    await writeFile(join(dir, 'precious', json64('4')), 'years');
    await symlink(join(dir, 'precious'), join(dir, 'images'));
    const r = await pruneCache({ dir, all: true });
    expect(r.removedFiles).toBe(2);
    expect(existsSync(join(dir, 'precious', json64('4')))).toBe(true);
    expect(existsSync(outside)).toBe(true);
    expect(existsSync(join(dir, 'test-maps'))).toBe(false);
    expect(existsSync(join(dir, 'demo'))).toBe(false);
  });

  it('refuses to guess: neither a positive age nor all is an error', async () => {
    await expect(pruneCache({ dir })).rejects.toThrow(/olderThanDays/);
    await expect(pruneCache({ dir, olderThanDays: 0 })).rejects.toThrow(/olderThanDays/);
  });

  it('counts files and bytes per kind, with the last use', async () => {
    await put(`analysis/${v8('a')}`, 3, 100);
    await put(`analysis/${v8('b')}`, 1, 20);
    await put('demo/python3-toolz/a.py', 900);
    const usage = await cacheUsage(dir);
    const analysis = usage.find((u) => u.kind === 'analysis')!;
    expect(analysis).toMatchObject({ files: 2, bytes: 120 });
    expect(Date.now() - Date.parse(analysis.lastUsed!)).toBeLessThan(1.1 * DAY);
    expect(usage.find((u) => u.kind === 'leaks')).toEqual({ kind: 'leaks', files: 0, bytes: 0 });
    // The demo's files carry its Debian package's dates, not a use.
    expect(usage.find((u) => u.kind === 'demo')).toEqual({ kind: 'demo', files: 1, bytes: 10 });
  });
});

describe('a cache read counts as a use', () => {
  it('reading a JSON cache, a cached value or an index pack moves its time stamp, so pruning keeps what is read often', async () => {
    const json = join(dir, 'images', json64('5'));
    await writeJsonCache(json, { a: 1 });
    const pick = join(dir, 'func-localize', v8('6'));
    await writeCached(pick, { a: 1 });
    const repo = join(dir, 'repo');
    await mkdir(join(repo, 'pkg'), { recursive: true });
    await writeFile(join(repo, 'pkg', '__init__.py'), 'def f():\n    """Doc."""\n');
    await indexRepo(repo, { cache: dir });
    const pack = join(dir, 'analysis', (await readdir(join(dir, 'analysis')))[0]!);
    const longAgo = new Date(Date.now() - 60 * DAY);
    for (const f of [json, pick, pack]) await utimes(f, longAgo, longAgo);

    expect(await readJsonCache(json, z.object({ a: z.number() }))).toEqual({ a: 1 });
    expect(await readCached(pick)).toEqual({ a: 1 });
    await indexRepo(repo, { cache: dir });
    for (const f of [json, pick, pack]) expect(await mtimeSettled(f, longAgo.getTime())).toBeGreaterThan(Date.now() - DAY);
    const r = await pruneCache({ dir, olderThanDays: 30 });
    expect(r).toMatchObject({ removedFiles: 0, keptFiles: 3 });
  });

  it('a cache that fails its check is not marked as used', async () => {
    const json = join(dir, 'images', json64('7'));
    await put(`images/${json64('7')}`, 60);
    expect(await readJsonCache(json, z.object({ a: z.number() }))).toBeUndefined();
    await new Promise((r) => setTimeout(r, 50));
    expect((await stat(json)).mtimeMs).toBeLessThan(Date.now() - 59 * DAY);
  });
});

describe('pruning while the cache changes under it', () => {
  it("the demo's fetch in progress survives all; one an hour old goes; a python3-* folder the demo never makes stays", async () => {
    const fetching = await put('demo/python3-toolz.tmp-4242/python3-toolz_1.deb', 0);
    const died = await put('demo/python3-toolz.tmp-77/python3-toolz_1.deb', 0);
    const t = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(join(dir, 'demo/python3-toolz.tmp-77'), t, t);
    const notes = await put('demo/python3-notes/todo.txt', 900);
    await pruneCache({ dir, all: true });
    expect([fetching, died, notes].map(existsSync)).toEqual([true, false, true]);
  });

  it('leaves alone an empty folder named like a kind, and keeps going past a file it cannot remove', async () => {
    for (const kind of ['images', 'analysis', 'leaks', 'test-maps']) await mkdir(join(dir, kind));
    const stuck = await put(`leaks/${v8('1')}`, 90);
    const later = await put(`test-maps/${json64('2')}`, 90);
    failRm = (path) => path.endsWith(v8('1'));
    const r = await pruneCache({ dir, olderThanDays: 30 });
    expect(r).toMatchObject({ removedFiles: 1, keptFiles: 1 });
    expect([stuck, later].map(existsSync)).toEqual([true, false]);
    expect(existsSync(join(dir, 'images'))).toBe(true);
    expect(existsSync(join(dir, 'analysis'))).toBe(true);
  });

  it("a kind's folder swapped for a link mid-prune: what is removed is still in the folder opened, never in the link's target", async () => {
    await put(`analysis/${v8('a')}`, 90);
    await put(`analysis/${v8('b')}`, 90);
    const victim = await put(`victim/${v8('b')}`, 90);
    beforeRm = async () => {
      beforeRm = undefined;
      await rename(join(dir, 'analysis'), join(dir, 'moved'));
      await symlink(join(dir, 'victim'), join(dir, 'analysis'));
    };
    await pruneCache({ dir, olderThanDays: 30 });
    expect(existsSync(victim)).toBe(true);
    expect(await readdir(join(dir, 'moved'))).toEqual([]);
  });
});
