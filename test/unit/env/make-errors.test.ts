import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { make, register } from '../../../src/env/registry.js';
import { HybridGymError, NoInstancesError, ValidationError } from '../../../src/errors.js';
import { writeFileTask } from '../../fixtures/tasks/write-file-task.js';

let tmp: string;
beforeAll(async () => {
  register(writeFileTask);
  tmp = await mkdtemp(join(tmpdir(), 'hybrid-gym-make-errors-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The error `promise` rejects with (fails when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err as Error,
  );
}

describe('make() errors a user can cause', () => {
  it.each([
    ['a misspelt top-level option', { repo: '.', maxStep: 5 }, 'maxStep', 'maxSteps'],
    ['a misspelt tool setting', { repo: '.', tools: { bashTimeout: 5 } }, 'tools.bashTimeout', 'bashTimeoutSeconds'],
    ['a misspelt docker option', { repo: '.', sandboxOptions: { memory: 1 } }, 'sandboxOptions.memory', 'memoryBytes'],
    ['a misspelt local option', { repo: '.', sandbox: 'local', sandboxOptions: { basedir: '/tmp' } }, 'sandboxOptions.basedir', 'baseDir'],
    ['a misspelt generator option', { repo: 'test/fixtures/func-localize/shop', generate: { showname: false } }, 'generate.showname', 'showName'],
  ] as const)('%s is a ValidationError naming the closest key', async (_, options, path, suggestion) => {
    const id = path.startsWith('generate') ? 'hybrid-gym/func-localize-v0' : 'test/write-file-v0';
    const err = await rejection(make(id, options as never));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]).toMatchObject({ path, suggestion });
    expect(err.message).toContain(`did you mean "${suggestion}"`);
    expect(err.message).not.toContain('\n');
  });

  it('names a repo that does not exist', async () => {
    const err = await rejection(make('hybrid-gym/func-localize-v0', { repo: './nope', sandbox: 'local' }));
    expect(err).toBeInstanceOf(HybridGymError);
    expect((err as ValidationError).issues[0]).toMatchObject({ path: 'repo' });
    expect(err.message).toMatch(/repo: no such directory: \.\/nope/);
  });

  it('names an instances file that does not exist', async () => {
    const err = await rejection(make('hybrid-gym/func-localize-v0', { instances: './nope.jsonl', sandbox: 'local' }));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(/instances: no such file: \.\/nope\.jsonl/);
  });

  it('says why a repo gives no instances, and starts no sandbox for it', async () => {
    const repo = join(tmp, 'empty');
    const sandboxes = join(tmp, 'sandboxes');
    await mkdir(repo);
    await mkdir(sandboxes);
    await writeFile(join(repo, 'README.md'), '# not Python\n');
    const err = await rejection(make('hybrid-gym/func-localize-v0', { repo, sandbox: 'local', sandboxOptions: { baseDir: sandboxes } }));
    expect(err).toBeInstanceOf(NoInstancesError);
    expect(err.message).toMatch(/func-localize found no instances in .*empty: it holds no Python files/);
    // Nothing was started, so nothing is left behind.
    expect(await readdir(sandboxes)).toEqual([]);
  });

  it('counts the reasons when every Python file is passed over', async () => {
    const repo = join(tmp, 'unusable');
    await mkdir(join(repo, 'tests'), { recursive: true });
    await writeFile(join(repo, 'tests', 'test_a.py'), 'def test_a():\n    """A test of some length."""\n');
    await writeFile(join(repo, 'broken.py'), 'def f(:\n');
    await writeFile(join(repo, 'plain.py'), 'X = 1\n');
    await writeFile(join(repo, 'bare.py'), 'def f():\n    return 1\n');
    await writeFile(join(repo, 'short.py'), 'def g():\n    """Short."""\n');
    const err = (await rejection(make('hybrid-gym/func-localize-v0', { repo, sandbox: 'local' }))) as NoInstancesError;
    expect(err).toBeInstanceOf(NoInstancesError);
    expect(err.pythonFiles).toBe(5);
    expect(err.reasons).toEqual({
      'test files (includeTests is off)': 1,
      'syntax errors': 1,
      'no functions or classes': 1,
      'no docstrings': 1,
      'passed over by the func-localize rules': 1,
    });
    expect(err.message).toMatch(/none of its 5 Python files gave one \(.*syntax errors: 1/);
  });

  it("explains with the generator's cache setting: cache false writes no cache, a folder gets what the default would", async () => {
    const repo = join(tmp, 'no-docstrings');
    await mkdir(repo, { recursive: true });
    await writeFile(join(repo, 'bare.py'), 'def f():\n    return 1\n');
    const home = join(tmp, 'default-cache');
    const mine = join(tmp, 'my-cache');
    const before = process.env.HYBRID_GYM_CACHE;
    process.env.HYBRID_GYM_CACHE = home;
    try {
      for (const cache of [false, mine] as const) {
        const err = await rejection(make('hybrid-gym/func-localize-v0', { repo, sandbox: 'local', generate: { cache, imageCheck: false } }));
        expect(err).toBeInstanceOf(NoInstancesError);
      }
    } finally {
      if (before === undefined) delete process.env.HYBRID_GYM_CACHE;
      else process.env.HYBRID_GYM_CACHE = before;
    }
    expect(existsSync(home)).toBe(false);
    expect(readdirSync(join(mine, 'analysis')).length).toBeGreaterThan(0);
  });
});
