// The indexer's worker threads run from the built package (dist/analysis-worker.js, which
// scripts/setup.sh builds): from source there is no worker script and indexing stays in-thread.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
type Lib = typeof import('../../src/index.js');
let lib: Lib;
let repo: string;

beforeAll(async () => {
  lib = (await import(pathToFileURL(path.join(ROOT, 'dist/index.js')).href)) as Lib;
  repo = mkdtempSync(path.join(tmpdir(), 'hg-workers-'));
  // Real code, enough of it for several batches: the standard library's email and json packages and the call fixture.
  for (const pkg of ['email', 'json']) cpSync(path.join('/usr/lib/python3.11', pkg), path.join(repo, pkg), { recursive: true });
  cpSync(path.join(ROOT, 'test/fixtures/analysis/calls/pkg'), path.join(repo, 'pkg'), { recursive: true });
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

function snapshot(index: Awaited<ReturnType<Lib['indexRepo']>>): unknown {
  return {
    files: index.files,
    definitions: index.definitions,
    skipped: index.skipped,
    callees: index.definitions.map((d) => [d.id, lib.callees(index, d).map((c) => c.id)]),
  };
}

describe('indexing in worker threads (built package)', () => {
  it('gives exactly what indexing in this thread gives, definitions and resolved calls alike', async () => {
    let workers = -1;
    const threaded = await lib.indexRepo(repo, { cache: false, workers: 2, onProgress: (p) => (workers = p.workers) });
    expect(workers).toBe(2);
    const inThread = await lib.indexRepo(repo, { cache: false, workers: 0 });
    expect(threaded.definitions.length).toBeGreaterThan(500);
    expect(snapshot(threaded)).toEqual(snapshot(inThread));
  });

  it('an outline in workers equals an outline in this thread', async () => {
    const a = await lib.indexRepo(repo, { cache: false, calls: false, workers: 2 });
    const b = await lib.indexRepo(repo, { cache: false, calls: false, workers: 0 });
    expect(a.definitions).toEqual(b.definitions);
  });
});

describe('workers in a program started with node --input-type=module -e', () => {
  it('start (the flag a worker refuses is not passed on) and index in parallel', () => {
    const script = `const lib = await import(process.argv[1]); let w = -1; await lib.indexRepo(process.argv[2], { cache: false, workers: 2, onProgress: (p) => (w = p.workers) }); console.log(w);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, pathToFileURL(path.join(ROOT, 'dist/index.js')).href, repo], {
      encoding: 'utf8',
      env: { ...process.env, DEBUG: 'hybrid-gym:analysis' },
    });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('2');
    // A worker that fails falls back to this thread silently but for the debug log: none may have.
    expect(r.stderr).not.toMatch(/worker failed/);
  });
});
