import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { largePython } from '../support/large-python.js';

// The built package runs the verifiers' file work on its verify worker (dist/verify-worker.js,
// .cjs for CommonJS); HYBRID_GYM_VERIFY_WORKER=require makes a missing worker an error, so these
// tests fail if the work ran on the calling thread instead.
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const WORKDIR = '/workspace';

type Files = Map<string, Buffer>;
interface Task {
  generate(options: Record<string, unknown>): Promise<Array<Record<string, unknown> & { id: string }>>;
  workspace(instance: unknown): Promise<Files>;
  oracle(instance: unknown, ctx: { workdir: string }): Promise<Array<{ input?: unknown }>>;
  verify(instance: unknown, files: Files, ctx: object): Promise<{ reward: number; success: boolean; details: Record<string, unknown> }>;
}
interface Lib {
  funcLocalizeTask: Task;
  depSearchTask: Task;
}

function applyInserts(files: Files, actions: Array<{ input?: unknown }>): Files {
  const out = new Map(files);
  for (const a of actions) {
    const input = a.input as { path: string; insert_line: number; new_str: string };
    const file = input.path.slice(WORKDIR.length + 1);
    const lines = out.get(file)!.toString('utf8').split('\n');
    lines.splice(input.insert_line, 0, input.new_str);
    out.set(file, Buffer.from(lines.join('\n')));
  }
  return out;
}

const withText = (files: Files, file: string, edit: (t: string) => string): Files => new Map(files).set(file, Buffer.from(edit(files.get(file)!.toString('utf8'))));

describe.runIf(existsSync(path.join(DIST, 'verify-worker.js')))('the verify worker of the built package', () => {
  let repo: string;
  const saved = process.env.HYBRID_GYM_VERIFY_WORKER;
  beforeAll(() => {
    process.env.HYBRID_GYM_VERIFY_WORKER = 'require';
    repo = mkdtempSync(path.join(tmpdir(), 'hg-worker-'));
    mkdirSync(path.join(repo, 'pkg'));
    writeFileSync(path.join(repo, 'pkg/__init__.py'), '');
    writeFileSync(path.join(repo, 'pkg/mid.py'), largePython(150_000, { prefix: 'm' }));
    writeFileSync(path.join(repo, 'big.py'), largePython(5_000_000, { prefix: 'b', seed: 4 }));
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.HYBRID_GYM_VERIFY_WORKER;
    else process.env.HYBRID_GYM_VERIFY_WORKER = saved;
  });

  for (const format of ['esm', 'cjs'] as const) {
    it(`scores through the worker (${format}): solved, a code change, a comment in a 5 MB file`, async () => {
      const lib = (format === 'esm' ? await import(path.join(DIST, 'index.js')) : createRequire(import.meta.url)(path.join(DIST, 'index.cjs'))) as Lib;
      for (const task of [lib.funcLocalizeTask, lib.depSearchTask]) {
        const [inst] = await task.generate({ repo, n: 3, seed: 1 });
        const solved = applyInserts(await task.workspace(inst), await task.oracle(inst, { workdir: WORKDIR }));
        expect(await task.verify(inst, solved, {}), inst!.id).toMatchObject({ reward: 1, success: true });
        const broken = withText(solved, 'big.py', (t) => `${t}x = 1\n`);
        expect(await task.verify(inst, broken, {})).toMatchObject({ reward: 0, success: false });
        // The event loop stays free while the worker parses (a 5 MB file: hundreds of ms of work).
        const note = withText(solved, 'big.py', (t) => t.replace('\ndef ', '\n# a note\ndef '));
        const delay = monitorEventLoopDelay({ resolution: 5 });
        delay.enable();
        const r = await task.verify(inst, note, {});
        delay.disable();
        expect(r).toMatchObject({ reward: 1, success: true });
        expect(delay.max / 1e6).toBeLessThan(250);
      }
    });
  }

  it('an error of the file work comes back with its code', async () => {
    const lib = (await import(path.join(DIST, 'index.js'))) as Lib;
    const [inst] = await lib.funcLocalizeTask.generate({ repo, n: 1, seed: 1 });
    const stale = { ...inst, targets: (inst!.targets as Array<Record<string, unknown>>).map((t) => ({ ...t, docstring: { ...(t.docstring as object), text: '"""Not this."""' } })) };
    await expect(lib.funcLocalizeTask.verify(stale, await lib.funcLocalizeTask.workspace(inst), {})).rejects.toMatchObject({ code: 'TARGET_MISSING' });
  });
});
