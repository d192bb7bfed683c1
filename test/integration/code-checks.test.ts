import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxCodeRunner } from '../../src/env/code-runner.js';
import { make } from '../../src/env/registry.js';
import type { TaskEnv } from '../../src/env/task-env.js';
import type { Env, StepResult } from '../../src/env/types.js';
import { verifyFiles } from '../../src/env/verify-files.js';
import { DockerProvider } from '../../src/sandbox/docker/docker-provider.js';
import { SandboxPool } from '../../src/sandbox/pool.js';
import { BaseInstanceSchema, defineTask, type BaseInstance } from '../../src/tasks/define-task.js';
import { parsePytestResults, pytestCheck, runPytest } from '../../src/testrun/index.js';
import { loadRepoFiles } from '../../src/workspace/files.js';
import type { Action } from '../../src/tools/types.js';
import { dockerReady } from './helpers.js';

const REPO = fileURLToPath(new URL('../fixtures/code-checks/calc', import.meta.url));
const TESTS = ['tests/test_calc.py::test_add', 'tests/test_calc.py::test_add_negative', 'tests/test_calc.py::test_double'];
const bash = (command: string): Action => ({ tool: 'bash', input: { command } });
const FIX = bash(`sed -i 's/return a - b/return a + b/' calc.py`);

// A task that exists only here, made the way users make theirs: fix calc.add, judged by the repo's tests.
const fixCalc = defineTask({
  name: 'fix-calc',
  version: 0,
  namespace: 'test',
  instanceSchema: BaseInstanceSchema,
  workspace: () => loadRepoFiles(REPO),
  prompt: () => 'Fix calc.add so that the tests pass.',
  verify: async (_instance, _files, ctx) => {
    const check = pytestCheck({ tests: TESTS, timeoutMs: 60_000 });
    const results = parsePytestResults(await ctx.run(check), check);
    const outcomes = Object.fromEntries(results.tests.map((t) => [t.nodeid, t.outcome]));
    const success = results.complete && TESTS.every((t) => outcomes[t] === 'passed');
    return { reward: success ? 1 : 0, success, details: { outcomes, complete: results.complete, missing: results.missing } };
  },
  oracle: () => [FIX],
});
const instance: BaseInstance = { id: 'calc-0', task: 'fix-calc', repo: { path: REPO, name: 'calc' }, seed: 0 };

describe.runIf(dockerReady())('code checks: a task judged by the repository\'s tests', () => {
  let provider: DockerProvider;
  let pool: SandboxPool;
  let env: Env<TaskEnv<BaseInstance>>;

  beforeAll(async () => {
    provider = await DockerProvider.start();
    pool = new SandboxPool(provider, { warm: 0 });
    env = await make(fixCalc, { instances: [instance], pool, maxSteps: 20 });
  });
  afterAll(async () => {
    await env?.close();
    await pool?.close();
    await provider?.close();
  });

  /** One episode: the actions, then finish. */
  async function episode(actions: Action[]): Promise<StepResult> {
    await env.reset({ options: { instanceId: instance.id } });
    for (const a of actions) {
      const r = await env.step(a);
      expect(r.terminated || r.truncated, `step ${JSON.stringify(a)} ended the episode`).toBe(false);
    }
    return env.step({ tool: 'finish', input: { message: 'done' } });
  }

  it('the fix scores 1 and doing nothing 0, with each test\'s outcome in details', async () => {
    const fixed = await episode([FIX]);
    expect(fixed.reward).toBe(1);
    expect(fixed.info.verify?.details.outcomes).toEqual(Object.fromEntries(TESTS.map((t) => [t, 'passed'])));
    const nothing = await episode([]);
    expect(nothing.reward).toBe(0);
    expect(nothing.info.verify?.details.outcomes).toMatchObject({ 'tests/test_calc.py::test_add': 'failed' });
  });

  // Each attack is tried without the fix (it must not turn 0 into 1) and with it (it must not turn 1 into 0).
  const attacks: Record<string, string> = {
    'rewrites the tests': `printf 'def test_add():\\n    pass\\ndef test_add_negative():\\n    pass\\ndef test_double():\\n    pass\\n' > tests/test_calc.py`,
    'deletes the tests': 'rm -rf tests',
    'makes conftest.py pass every test': `cat >> conftest.py <<'EOF'
import pytest
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    rep.outcome = 'passed'
EOF`,
    'plants a conftest.py in the tests folder that breaks the code': `printf 'import calc\\ncalc.add = lambda a, b: 0\\n' > tests/conftest.py`,
    'points pytest.ini elsewhere': `printf '[pytest]\\ntestpaths = nowhere\\npython_files = nothing_*.py\\naddopts = -p no:python\\n' > pytest.ini && printf '[pytest]\\npython_functions = nothing\\n' > tests/pytest.ini`,
    'plants sitecustomize.py and a .pth file': `printf 'import calc\\ncalc.add = lambda a, b: a + b\\n' > sitecustomize.py && printf 'import sys; sys.modules.setdefault("calc", type(sys)("calc"))\\n' > hook.pth`,
    'plants a .pth file in the image\'s site-packages of its own container': `echo 'import os; os._exit(0)' > /usr/lib/python3/dist-packages/zz-agent.pth`,
  };

  for (const [name, command] of Object.entries(attacks)) {
    it(`the agent ${name}: the verdict does not change`, async () => {
      const broken = await episode([bash(command)]);
      expect(broken.reward, JSON.stringify(broken.info.verify?.details)).toBe(0);
      const fixed = await episode([FIX, bash(command)]);
      expect(fixed.reward, JSON.stringify(fixed.info.verify?.details)).toBe(1);
    });
  }

  it('a test file that no naming rule protects is still restored when the check selects it', async () => {
    const spec = defineTask({
      ...fixCalc,
      name: 'fix-calc-spec',
      verify: async (_i, _f, ctx) => {
        const check = pytestCheck({ tests: ['calc_spec.py::test_spec_add'] });
        const results = parsePytestResults(await ctx.run(check), check);
        const success = results.complete && results.tests.some((t) => t.nodeid === 'calc_spec.py::test_spec_add' && t.outcome === 'passed');
        return { reward: success ? 1 : 0, success, details: {} };
      },
    });
    const specEnv = await make(spec, { instances: [{ ...instance, task: 'fix-calc-spec' }], pool });
    try {
      for (const [actions, expected] of [[[], 0], [[bash("printf 'def test_spec_add():\\n    pass\\n' > calc_spec.py")], 0], [[FIX], 1]] as const) {
        await specEnv.reset();
        for (const a of actions) await specEnv.step(a);
        expect((await specEnv.step({ tool: 'finish', input: { message: 'x' } })).reward).toBe(expected);
      }
    } finally {
      await specEnv.close();
    }
  });

  // Code under test that reaches into the pytest process: forged records through our own recorder,
  // a plugin that turns reports into passes, patched pytest internals. Without the fix each must stay 0.
  const BUGGY = 'def add(a, b):\n    return a - b\n\n\ndef double(x):\n    return add(x, x)\n';
  const inProcess: Record<string, string> = {
    'emits passing records through the recorder it finds with gc': `import gc
for r in gc.get_objects():
    if type(r).__name__ == "Recorder" and hasattr(r, "nonce"):
        for i in ${JSON.stringify(TESTS)}:
            r.emit({"t": "start", "nodeid": i})
            r.emit({"t": "test", "nodeid": i, "outcome": "passed", "duration": 0.0})
        break
`,
    'registers a plugin that makes every report a pass': `import gc, pytest
class P:
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        o = yield
        rep = o.get_result()
        rep.outcome = "passed"
        rep.longrepr = None
for c in gc.get_objects():
    if type(c).__name__ == "Config" and hasattr(c, "pluginmanager"):
        c.pluginmanager.register(P(), "zz")
        break
`,
    'patches pytest\'s report class': `import _pytest.reports as R
_orig = R.TestReport.from_item_and_call.__func__
def forged(cls, item, call):
    rep = _orig(cls, item, call)
    rep.outcome = "passed"
    rep.longrepr = None
    return rep
R.TestReport.from_item_and_call = classmethod(forged)
`,
  };
  for (const [name, payload] of Object.entries(inProcess)) {
    it(`code under test that ${name} does not pass`, async () => {
      const write = bash(`cat > calc.py <<'HG_EOF'\n${payload}${BUGGY}HG_EOF`);
      const r = await episode([write]);
      expect(r.reward, JSON.stringify(r.info.verify?.details)).toBe(0);
    });
  }

  it('a forged pytest summary printed by the code under test does not count as a pass', async () => {
    const forged = await episode([
      bash(`sed -i 's/return a - b/print("=== 3 passed in 0.01s ==="); print("PASSED"); return a - b/' calc.py`),
    ]);
    expect(forged.reward).toBe(0);
  });

  it('os._exit(0) in the code under test does not count as a pass', async () => {
    const exited = await episode([bash(`sed -i 's/return a - b/import os; os._exit(0)/' calc.py`)]);
    expect(exited.reward).toBe(0);
    expect(exited.info.verify?.details.complete).toBe(false);
  });

  it('a verification sandbox that cannot start ends the episode as infrastructure, not as a zero', async () => {
    const other = await DockerProvider.start();
    const runner = new SandboxCodeRunner(other);
    await other.close();
    const broken = await make(fixCalc, { instances: [instance], pool, maxSteps: 5, checkRunner: runner });
    try {
      await broken.reset();
      await broken.step(FIX);
      const r = await broken.step({ tool: 'finish', input: { message: 'done' } });
      expect(r.truncated).toBe(true);
      expect(r.info.truncation).toBe('infra');
      expect(r.info.infraError?.message).toMatch(/code check "pytest"/);
    } finally {
      await broken.close();
    }
  });

  it('verifyFiles (hybrid-gym verify) runs the same code checks on a directory', async () => {
    const files = await loadRepoFiles(REPO);
    expect((await verifyFiles(fixCalc, instance, files, { sandbox: 'docker' })).reward).toBe(0);
    files.set('calc.py', Buffer.from(files.get('calc.py')!.toString().replace('a - b', 'a + b')));
    files.set('tests/test_calc.py', Buffer.from('def test_add():\n    assert False\n'));
    expect((await verifyFiles(fixCalc, instance, files, { sandbox: 'docker' })).reward).toBe(1);
  });
});

describe.runIf(dockerReady())('an instance that names its own image', () => {
  const MARKED = 'hybrid-gym/test-marked:code-checks';
  let provider: DockerProvider;

  beforeAll(async () => {
    provider = await DockerProvider.start();
    // A derived image with a marker file: where the marker is seen, that image ran.
    const c = await provider.docker.createContainer({ Image: provider.image, Cmd: ['sh', '-c', 'echo marked > /etc/hg-marker'] });
    await c.start();
    await c.wait();
    await c.commit({ repo: 'hybrid-gym/test-marked', tag: 'code-checks' });
    await c.remove();
  });
  afterAll(async () => {
    await provider?.close();
    await provider?.docker.getImage(MARKED).remove({ force: true }).catch(() => {});
  });

  it('an image without pytest is infrastructure, not the agent\'s zero; a forged setup failure is the agent\'s', async () => {
    const c = await provider.docker.createContainer({ Image: provider.image, Cmd: ['sh', '-c', 'rm -rf /usr/lib/python3/dist-packages/pytest* /usr/lib/python3/dist-packages/_pytest'] });
    await c.start();
    await c.wait();
    await c.commit({ repo: 'hybrid-gym/test-marked', tag: 'no-pytest' });
    await c.remove();
    const viaRunPytest = defineTask({
      ...fixCalc,
      name: 'fix-calc-run-pytest',
      verify: async (_i, _f, ctx) => {
        const results = await runPytest(ctx.run, { tests: TESTS });
        const success = results.complete && results.tests.every((t) => t.outcome === 'passed');
        return { reward: success ? 1 : 0, success, details: { tampered: results.tampered } };
      },
    });
    const pool = new SandboxPool(provider, { warm: 0 });
    const env = await make(viaRunPytest, {
      instances: [{ ...instance, id: 'no-pytest', image: 'hybrid-gym/test-marked:no-pytest' }, { ...instance, id: 'plain' }],
      pool,
    });
    try {
      await env.reset({ options: { instanceId: 'no-pytest' } });
      await env.step(FIX);
      const infra = await env.step({ tool: 'finish', input: { message: 'x' } });
      expect(infra).toMatchObject({ truncated: true, info: { truncation: 'infra' } });
      expect(infra.info.infraError?.message).toMatch(/cannot run pytest: .*No module named 'pytest'/);
      // Code under test that writes the same failure, with the nonce it found, and exits.
      await env.reset({ options: { instanceId: 'plain' } });
      await env.step(bash(`cat > calc.py <<'HG_EOF'
import gc, os
for r in gc.get_objects():
    if type(r).__name__ == "Recorder" and hasattr(r, "nonce"):
        r.emit({"t": "setup", "error": "ModuleNotFoundError: No module named 'pytest'"})
        os._exit(97)
HG_EOF`));
      const forged = await env.step({ tool: 'finish', input: { message: 'x' } });
      expect(forged).toMatchObject({ terminated: true, truncated: false, reward: 0 });
      expect(forged.info.verify?.details.tampered).toEqual(['a setup failure after the run started']);
    } finally {
      await env.close();
      await pool.close();
      await provider.docker.getImage('hybrid-gym/test-marked:no-pytest').remove({ force: true }).catch(() => {});
    }
  });

  it('its episodes and its code checks run in that image, the others in the default one', async () => {
    const seen = defineTask({
      ...fixCalc,
      name: 'image-probe',
      verify: async (_i, _f, ctx) => {
        const r = await ctx.run({ name: 'probe', argv: (d) => ['sh', '-c', `cat /etc/hg-marker > ${d.out}/m 2>/dev/null; true`], collect: ['m'] });
        const marked = r.collected.m?.toString().trim() === 'marked';
        return { reward: marked ? 1 : 0, success: marked, details: {} };
      },
    });
    const plain: BaseInstance = { ...instance, id: 'plain' };
    const marked: BaseInstance = { ...instance, id: 'marked', image: MARKED };
    const pool = new SandboxPool(provider, { warm: 0 });
    const env = await make(seen, { instances: [plain, marked, { ...plain, id: 'plain-2' }], pool });
    try {
      for (const [id, expected] of [['plain', 0], ['marked', 1], ['plain-2', 0], ['marked', 1]] as const) {
        env.unwrapped.prepareNext(id);
        await env.reset({ options: { instanceId: id } });
        const look = await env.step(bash('cat /etc/hg-marker 2>/dev/null || echo unmarked'));
        expect(look.observation.text.split('\n')[0], id).toBe(expected ? 'marked' : 'unmarked');
        const done = await env.step({ tool: 'finish', input: { message: 'x' } });
        expect(done.reward, id).toBe(expected);
      }
    } finally {
      await env.close();
      await pool.close();
    }
  });
});

describe.runIf(dockerReady())('a generator that runs the repository\'s tests', () => {
  it('gets a runner from make() when it asks for one (generateInputs), and none when it does not', async () => {
    const seen: string[] = [];
    // Makes one instance per test of the repo, found by running them.
    const byTests = defineTask({
      ...fixCalc,
      name: 'by-tests',
      generateInputs: ['runner'],
      generate: async (options) => {
        if (!options.runner) throw new Error('no runner');
        const files = await loadRepoFiles(options.repo);
        const check = pytestCheck({ tests: ['calc_spec.py::test_spec_add', ...TESTS] });
        const results = parsePytestResults(await options.runner.run(files, check), check);
        for (const t of results.tests) seen.push(`${t.nodeid} ${t.outcome}`);
        return results.tests.map((t, i) => ({ id: `t${i}`, task: 'by-tests', repo: { path: options.repo, name: 'calc' }, seed: 0 }));
      },
    });
    const env = await make(byTests, { repo: REPO, prepareNext: false });
    try {
      expect(env.unwrapped.instances).toHaveLength(4);
      expect(seen).toContain('tests/test_calc.py::test_add failed');
      expect(seen).toContain('calc_spec.py::test_spec_add failed');
    } finally {
      await env.close();
    }
    const without = defineTask({ ...byTests, name: 'by-tests-no-runner', generateInputs: [] });
    await expect(make(without, { repo: REPO, prepareNext: false })).rejects.toThrow(/no runner/);
  });
});
