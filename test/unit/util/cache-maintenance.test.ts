import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { indexRepo } from '../../../src/analysis/index.js';
import { cacheUsage, pruneCache } from '../../../src/util/cache-maintenance.js';
import { readCached, writeCached } from '../../../src/util/disk-cache.js';
import { readJsonCache, writeJsonCache } from '../../../src/util/json-cache.js';

const DAY = 24 * 60 * 60 * 1000;
let dir: string;
beforeEach(async () => {
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

describe('pruning the host cache', () => {
  it('removes files unused for the given days, keeps the rest and everything that is not a cache kind', async () => {
    const old = await put('analysis/old.v8', 40, 100);
    const recent = await put('analysis/recent.v8', 2, 50);
    const oldManifest = await put('images/abc.json', 31, 7);
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

  it('removes a write that died before its rename once it is an hour old, never a fresh one', async () => {
    const stale = await put('func-localize/abc.v8.123.uuid.tmp', 0.1);
    const writing = await put('leaks/abc.v8.456.uuid.tmp', 0);
    await pruneCache({ dir, olderThanDays: 30 });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(writing)).toBe(true);
  });

  it('--all removes every kind, the demo package included, and nothing else; a symlink is never followed', async () => {
    const outside = await put('elsewhere/keep.txt', 0);
    await put('test-maps/k.json', 0);
    await put('demo/python3-toolz/a.py', 0);
    await mkdir(join(dir, 'leaks'), { recursive: true });
    await symlink(join(dir, 'elsewhere'), join(dir, 'leaks', 'link'));
    // A kind's folder that is itself a link: its target is never walked.
    await mkdir(join(dir, 'precious'));
    await writeFile(join(dir, 'precious', 'thesis.tex'), 'years');
    await symlink(join(dir, 'precious'), join(dir, 'images'));
    const r = await pruneCache({ dir, all: true });
    expect(r.removedFiles).toBe(2);
    expect(existsSync(join(dir, 'precious', 'thesis.tex'))).toBe(true);
    expect(existsSync(outside)).toBe(true);
    expect(existsSync(join(dir, 'test-maps'))).toBe(false);
    expect(existsSync(join(dir, 'demo'))).toBe(false);
  });

  it('refuses to guess: neither a positive age nor all is an error', async () => {
    await expect(pruneCache({ dir })).rejects.toThrow(/olderThanDays/);
    await expect(pruneCache({ dir, olderThanDays: 0 })).rejects.toThrow(/olderThanDays/);
  });

  it('counts files and bytes per kind, with the last use', async () => {
    await put('analysis/a.v8', 3, 100);
    await put('analysis/b.v8', 1, 20);
    const usage = await cacheUsage(dir);
    const analysis = usage.find((u) => u.kind === 'analysis')!;
    expect(analysis).toMatchObject({ files: 2, bytes: 120 });
    expect(Date.now() - Date.parse(analysis.lastUsed!)).toBeLessThan(1.1 * DAY);
    expect(usage.find((u) => u.kind === 'leaks')).toEqual({ kind: 'leaks', files: 0, bytes: 0 });
  });
});

describe('a cache read counts as a use', () => {
  it('reading a JSON cache, a cached value or an index pack moves its time stamp, so pruning keeps what is read often', async () => {
    const json = join(dir, 'images', 'm.json');
    await writeJsonCache(json, { a: 1 });
    const v8 = join(dir, 'func-localize', 'c.v8');
    await writeCached(v8, { a: 1 });
    const repo = join(dir, 'repo');
    await mkdir(join(repo, 'pkg'), { recursive: true });
    await writeFile(join(repo, 'pkg', '__init__.py'), 'def f():\n    """Doc."""\n');
    await indexRepo(repo, { cache: dir });
    const pack = join(dir, 'analysis', (await readdir(join(dir, 'analysis')))[0]!);
    const longAgo = new Date(Date.now() - 60 * DAY);
    for (const f of [json, v8, pack]) await utimes(f, longAgo, longAgo);

    expect(await readJsonCache(json, z.object({ a: z.number() }))).toEqual({ a: 1 });
    expect(await readCached(v8)).toEqual({ a: 1 });
    await indexRepo(repo, { cache: dir });
    for (const f of [json, v8, pack]) expect(await mtimeSettled(f, longAgo.getTime())).toBeGreaterThan(Date.now() - DAY);
    const r = await pruneCache({ dir, olderThanDays: 30 });
    expect(r.removedFiles).toBe(0);
  });

  it('a cache that fails its check is not marked as used', async () => {
    const json = join(dir, 'images', 'bad.json');
    await put('images/bad.json', 60);
    expect(await readJsonCache(json, z.object({ a: z.number() }))).toBeUndefined();
    await new Promise((r) => setTimeout(r, 50));
    expect((await stat(json)).mtimeMs).toBeLessThan(Date.now() - 59 * DAY);
  });
});
