import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literalBody } from '../../src/tasks/func-localize/workspace.js';
import { debianPythonModule, REAL_PACKAGES } from '../support/debian-repos.js';
import { dockerReady } from './helpers.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const cli = async (...args: string[]) => (await run(process.execPath, [CLI, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!);

/** Every file under a directory, relative paths. */
async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(p + '/', ...(await walk(dir, p)));
    else out.push(p);
  }
  return out;
}

describe.runIf(dockerReady())('func-localize on whole real packages from Debian, through the command line', () => {
  let work: string;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'hg-fl-'));
    for (const { deb, module } of REAL_PACKAGES) {
      const out = join(work, `${module}.jsonl`);
      await cli('generate', 'func-localize', '--repo', debianPythonModule(deb, module), '--n', '100000', '--out', out);
      files[module] = out;
    }
  }, 300_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('generates a good number of instances from each package', async () => {
    for (const [module, path] of Object.entries(files)) {
      const n = (await readFile(path, 'utf8')).trim().split('\n').length;
      expect(n, module).toBeGreaterThanOrEqual(module === 'idna' ? 3 : 15);
    }
  });

  it('prepares workspaces without the answer: no target docstring anywhere, one commit, no caches', async () => {
    for (const path of Object.values(files)) {
      const instances = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      for (const inst of instances) {
        const dir = join(work, 'ws', inst.id);
        await cli('prepare', path, '--id', inst.id, '--dir', dir);
        const all = await walk(dir);
        expect(all.filter((p) => p.includes('__pycache__') || p.endsWith('.pyc'))).toEqual([]);
        const needles = inst.targets.map((t: { docstring: { text: string } }) => literalBody(t.docstring.text).trim());
        for (const p of all.filter((p) => !p.endsWith('/') && !p.startsWith('.git/'))) {
          if ((await stat(join(dir, p))).size > 5_000_000) continue;
          const text = await readFile(join(dir, p), 'utf8');
          for (const n of needles) expect(text.includes(n), `${inst.id}: ${p} holds the answer`).toBe(false);
        }
        const { stdout } = await run('git', ['-C', dir, 'rev-list', '--all', '--count']);
        expect(stdout.trim()).toBe('1');
        expect((await run('git', ['-C', dir, 'remote'])).stdout.trim()).toBe('');
        await rm(dir, { recursive: true, force: true });
      }
    }
  }, 600_000);

  it('the oracle scores 1.0 on every instance and the no-op agent 0.0, in Docker', async () => {
    for (const [module, path] of Object.entries(files)) {
      const oracle = lastJson(await cli('run', path, '--agent', 'oracle', '--sandbox', 'docker', '--concurrency', '2'));
      expect(oracle, `${module} oracle`).toMatchObject({ meanReward: 1, successRate: 1, errors: 0 });
      const noop = lastJson(await cli('run', path, '--agent', 'noop', '--sandbox', 'docker', '--concurrency', '2'));
      expect(noop, `${module} noop`).toMatchObject({ meanReward: 0, successRate: 0, errors: 0 });
      expect(noop.episodes).toBe(oracle.episodes);
    }
  }, 1_200_000);

  it('verify scores a prepared workspace the same way: 0 untouched, 1 with the docstring back', async () => {
    const path = files.requests!;
    const inst = JSON.parse((await readFile(path, 'utf8')).split('\n')[0]!);
    const dir = join(work, 'verify');
    await cli('prepare', path, '--id', inst.id, '--dir', dir);
    expect(lastJson(await cli('verify', path, '--id', inst.id, '--dir', dir))).toMatchObject({ reward: 0, success: false });
    const t = inst.targets[0];
    const original = await readFile(join(debianPythonModule('python3-requests', 'requests'), t.file), 'utf8');
    await writeFile(join(dir, t.file), original);
    expect(lastJson(await cli('verify', path, '--id', inst.id, '--dir', dir))).toMatchObject({ reward: 1, success: true });
  });
});
