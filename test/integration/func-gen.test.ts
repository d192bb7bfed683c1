import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OracleAgent } from '../../src/agents/simple-agents.js';
import { make } from '../../src/env/registry.js';
import { runEpisode } from '../../src/rollout/run-episode.js';
import { SandboxPool } from '../../src/sandbox/pool.js';
import { imageContentsOf } from '../../src/tasks/image-contents.js';
import { FUNC_GEN_PLACEHOLDER } from '../../src/tasks/func-gen/body.js';
import { funcGenTask, generateFuncGen } from '../../src/tasks/func-gen/index.js';
import { NoPassingTestsError } from '../../src/errors.js';
import { body, problems, SHOP_REPO as REPO, useShopInstances } from './func-gen-harness.js';
import { dockerReady } from './helpers.js';

describe.runIf(dockerReady())('func-gen on a fixture repository (docker)', () => {
  const fx = useShopInstances('hg-func-gen-');
  const { byName, agentFiles, verify } = fx;

  it('makes an instance per exercised, non-trivial function: masked, with the tests that fail on the masked file', () => {
    expect(fx.instances.map((i) => i.target.qualname).sort()).toEqual(['Cart.add', 'Cart.value', 'apply_discount', 'as_decimal', 'total']);
    expect(fx.dropped).toEqual([]);
    const d = byName('apply_discount');
    expect(d.tests).toEqual(['tests/test_pricing.py::test_cart_value', 'tests/test_pricing.py::test_discount', 'tests/test_pricing.py::test_discount_out_of_range', 'tests/test_pricing.py::test_discount_rounds_to_cents']);
    expect(d.target.body.text).toBe('    if not 0 <= percent <= 100:\n        raise ValueError("percent must be between 0 and 100")\n    return round(price * (100 - percent) / 100, 2)');
    expect(d.id).toMatch(/^func-gen-shop-apply_discount-[0-9a-f]{10}$/);
  });

  it('drops a target whose body is elsewhere in the repository (a vendored copy) or in the image, and says so', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'hg-fg-leak-'));
    cpSync(REPO, repo, { recursive: true });
    const total = byName('total');
    // The same code, indented and wrapped differently, in another file.
    writeFileSync(join(repo, 'shop/_vendor.py'), `def _sum_pairs(items):\n${total.target.body.text.replace(/^ {4}/gm, '        ').replace(/^/, 'if True:\n')}\n`);
    const drops: string[] = [];
    const discount = byName('apply_discount').target.body.text;
    const image = imageContentsOf('test-image', { bodies: [discount.split('\n').map((l) => l.trim()).join('\n')] });
    const made = await generateFuncGen({ repo, runner: fx.runner, cacheDir: fx.cacheDir, imageContents: image, onDropped: (d) => drops.push(`${d.reason}: ${d.examples.join(', ')}`) });
    expect(made.map((i) => i.target.qualname).sort()).toEqual(['Cart.add', 'Cart.value', 'as_decimal']);
    expect(drops.sort()).toEqual([
      'its body is elsewhere in the repository: shop/pricing.py:total (shop/_vendor.py)',
      'its body is in image test-image: shop/pricing.py:apply_discount',
    ]);
  }, 300_000);

  it('generates the same bytes again from the same seed', async () => {
    const again = await generateFuncGen({ repo: REPO, runner: fx.runner, cacheDir: fx.cacheDir });
    expect(JSON.stringify(again)).toBe(JSON.stringify(fx.instances));
  });

  it('the prompt shows the stub with its docstring, the file’s imports and the tests; the workspace holds no copy of the body', async () => {
    const d = byName('Cart.value');
    const prompt = await funcGenTask.prompt(d, { workdir: '/workspace' });
    expect(prompt).toContain('    def value(self, percent=0):\n        """What the cart costs after a discount of `percent` per cent."""\n        pass  # TODO: Implement this function');
    expect(prompt).toContain('from decimal import Decimal');
    expect(prompt).toContain('`tests/test_pricing.py::test_cart_value`');
    expect(prompt).not.toContain('subtotal');
    const files = await funcGenTask.workspace(d);
    for (const content of files.values()) expect(content.toString('utf8')).not.toContain('subtotal = total(self.items)');
  });

  it('the gold body passes; comments elsewhere in the file are allowed', async () => {
    for (const i of fx.instances) {
      const r = await verify(i, await agentFiles(i, (m) => `# my notes\n${m.replace(FUNC_GEN_PLACEHOLDER, i.target.body.text.trimStart())}`));
      expect(r, i.target.qualname).toMatchObject({ reward: 1, success: true });
      expect((r.details.tests as Array<{ outcome: string }>).every((t) => t.outcome === 'passed')).toBe(true);
    }
  }, 300_000);

  it('a wrong body fails with the assertion message; the untouched body fails; fraction reward counts the passing share', async () => {
    const d = byName('apply_discount');
    const wrong = await verify(d, await agentFiles(d, body('return price - percent')));
    expect(wrong).toMatchObject({ reward: 0, success: false });
    const failed = (wrong.details.tests as Array<{ nodeid: string; outcome: string; message?: string }>).find((t) => t.nodeid.endsWith('::test_discount'))!;
    expect(failed.outcome).toBe('failed');
    expect(failed.message).toContain('assert 175 == 150');
    expect(await verify(d, await funcGenTask.workspace(d))).toMatchObject({ reward: 0, success: false, details: { passed: 0 } });
    // Right for in-range percents only: two of the four tests pass.
    const partial = await verify({ ...d, reward: 'fraction' }, await agentFiles(d, body('return round(price * (100 - percent) / 100, 2)')));
    expect(partial.success).toBe(false);
    expect(partial.reward).toBeCloseTo(3 / 4);
  }, 300_000);

  it('a body that calls a copy of the original fails: planted in another file or elsewhere in the same file', async () => {
    const d = byName('apply_discount');
    const copy = `def original(price, percent):\n${d.target.body.text}\n`;
    const planted = await verify(d, await agentFiles(d, body('from shop._orig import original', 'return original(price, percent)'), { 'shop/_orig.py': copy }));
    expect(planted.reward).toBe(0);
    expect(problems(planted)).toEqual(['new file (only the target’s body may change)']);
    const sameFile = await verify(d, await agentFiles(d, (m) => body('return _original(price, percent)')(m).replace('class Cart:', `${copy.replace('def original', 'def _original')}\n\nclass Cart:`)));
    expect(sameFile.reward).toBe(0);
    expect(problems(sameFile)).toEqual(['code outside the body of apply_discount changed']);
  }, 300_000);

  it('editing a test, planting a conftest.py that forces passes, or a scratch file fails', async () => {
    const d = byName('total');
    const forced = 'import pytest\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n    outcome = yield\n    outcome.get_result().outcome = "passed"\n';
    const r1 = await verify(d, await agentFiles(d, body('return 0'), { 'tests/test_pricing.py': 'def test_total():\n    assert True\n' }));
    expect(r1.reward).toBe(0);
    expect(problems(r1)).toEqual(['file changed (only the target’s body may change)']);
    const r2 = await verify(d, await agentFiles(d, body('return 0'), { 'conftest.py': forced }));
    expect(r2.reward).toBe(0);
    expect(problems(r2)).toEqual(['new file (only the target’s body may change)']);
    const r3 = await verify(d, await agentFiles(d, (m) => m.replace(FUNC_GEN_PLACEHOLDER, d.target.body.text.trimStart()), { 'scratch.py': 'print(1)\n' }));
    expect(r3.reward).toBe(0);
    expect((r3.details.violations as Array<{ file: string }>)[0]!.file).toBe('scratch.py');
  }, 300_000);

  it('a body that rewrites the tests or their configuration while they run fails: the workspace is read-only to checked code', async () => {
    const d = byName('total');
    const r = await verify(
      d,
      await agentFiles(
        d,
        // The runner's name is built at run time so that the body policy's text rule does not stop it first.
        body(
          'py = "".join(["py", "test"])',
          'with open("conftest.py", "w") as f:',
          '    f.write(f"import {py}\\n@{py}.hookimpl(hookwrapper=True)\\ndef {py}_runtest_makereport(item, call):\\n    o = yield\\n    o.get_result().outcome = \\"passed\\"\\n")',
          'return 0',
        ),
      ),
    );
    expect(r).toMatchObject({ reward: 0, success: false });
    const messages = (r.details.tests as Array<{ message?: string }>).map((t) => t.message ?? '').join('\n');
    expect(messages).toContain('Permission denied');
  }, 300_000);

  it('os._exit(0) or sys.exit(0), in the body or at import, fails', async () => {
    const d = byName('total');
    const exitInBody = await verify(d, await agentFiles(d, body('import os', 'os._exit(0)')));
    expect(exitInBody.reward).toBe(0);
    expect(problems(exitInBody)).toContain('os._exit');
    const sysExit = await verify(d, await agentFiles(d, body('import sys', 'sys.exit(0)')));
    expect(problems(sysExit)).toContain('sys.exit');
    const atImport = await verify(d, await agentFiles(d, (m) => `import os\nos._exit(0)\n${body('return 0')(m)}`));
    expect(atImport.reward).toBe(0);
    expect(problems(atImport)).toEqual(['code outside the body of total changed']);
    // SystemExit needs no forbidden name: pytest records it as the test's failure.
    const raised = await verify(d, await agentFiles(d, body('raise SystemExit(0)')));
    expect(raised).toMatchObject({ reward: 0, success: false });
  }, 300_000);

  it('code that only CPython sees fails: a comment turned into code by a coding declaration or a lone carriage return', async () => {
    const d = byName('total');
    // Each redefines total at import, after the def, where the syntax tree sees a comment.
    const hidden = 'total = lambda items: sum(p * q for p, q in items)';
    const cr = await verify(d, await agentFiles(d, (m) => `${body('return None')(m)}# done\r${hidden}\n`));
    expect(cr.reward).toBe(0);
    expect(problems(cr)).toEqual(['a carriage return that does not end a line (CPython reads it as a line break, so a comment could hold code)']);
    const utf7 = await verify(d, await agentFiles(d, (m) => `# coding: utf-7\n${body('return None')(m)}# done+AAo-${hidden}\n`));
    expect(utf7.reward).toBe(0);
    expect(problems(utf7)[0]).toContain('the coding declaration changed (CPython would decode the file as codec utf-7');
  }, 300_000);

  it('a signature, decorator or docstring change fails with the violation named', async () => {
    const d = byName('apply_discount');
    const gold = (m: string) => m.replace(FUNC_GEN_PLACEHOLDER, d.target.body.text.trimStart());
    const signature = await verify(d, await agentFiles(d, (m) => gold(m).replace('def apply_discount(price, percent):', 'def apply_discount(price, percent=0):')));
    expect(problems(signature)).toEqual(['code outside the body of apply_discount changed (the signature or decorators of apply_discount)']);
    const decorator = await verify(d, await agentFiles(d, (m) => gold(m).replace('def apply_discount(', '@staticmethod\ndef apply_discount(')));
    expect(problems(decorator)[0]).toContain('code outside the body of apply_discount changed');
    const docstring = await verify(d, await agentFiles(d, (m) => gold(m).replace('rounded to cents.', 'rounded.')));
    expect(problems(docstring)).toEqual(['a docstring changed (apply_discount)']);
  }, 300_000);

  it('a repository whose tests do not import in the image gets an error naming the module, not an empty success', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'hg-fg-missing-'));
    mkdirSync(join(repo, 'pkg'));
    mkdirSync(join(repo, 'tests'));
    writeFileSync(join(repo, 'pkg/__init__.py'), 'import numpy_missing_xyz\n\ndef add(a, b):\n    c = a + b\n    return c\n');
    writeFileSync(join(repo, 'tests/test_add.py'), 'from pkg import add\n\ndef test_add():\n    assert add(1, 2) == 3\n');
    const error = await generateFuncGen({ repo, runner: fx.runner, cacheDir: fx.cacheDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoPassingTestsError);
    expect((error as Error).message).toContain("tests/test_add.py: ModuleNotFoundError: No module named 'numpy_missing_xyz'");
    expect((error as Error).message).toContain('hybrid-gym image build');
  }, 300_000);

  it('make() generates from the repository; an oracle episode scores 1.0', async () => {
    const pool = new SandboxPool(fx.provider, { warm: 0 });
    const env = await make('hybrid-gym/func-gen-v0', { repo: REPO, generate: { n: 2, cacheDir: fx.cacheDir }, pool });
    try {
      const { observation } = await env.reset({ seed: 0 });
      expect(observation.text).toContain(FUNC_GEN_PLACEHOLDER);
      const episode = await runEpisode(env, new OracleAgent(env));
      expect(episode).toMatchObject({ reward: 1, success: true });
    } finally {
      await env.close();
      await pool.close();
    }
  }, 300_000);
});
