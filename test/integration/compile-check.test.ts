import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxCodeRunner } from '../../src/env/code-runner.js';
import { make } from '../../src/env/registry.js';
import { DockerProvider } from '../../src/sandbox/docker/docker-provider.js';
import { SandboxPool } from '../../src/sandbox/pool.js';
import type { CodeCheck } from '../../src/tasks/code-check.js';
import { firstCompileError } from '../../src/tasks/compile-changed.js';
import { generateFuncLocalize } from '../../src/tasks/func-localize/generate.js';
import { verifyFuncLocalize } from '../../src/tasks/func-localize/verify.js';
import { funcLocalizeWorkspace } from '../../src/tasks/func-localize/workspace.js';
import type { WorkspaceFiles } from '../../src/workspace/files.js';
import { dockerReady } from './helpers.js';

const SHOP = fileURLToPath(new URL('../fixtures/func-localize/shop', import.meta.url));
const FILE = 'pkg/cart.py';

describe.runIf(dockerReady())('compile check with the sandbox image\'s Python', () => {
  let provider: DockerProvider;
  let runner: SandboxCodeRunner;
  let checks = 0;
  const runOn = (files: WorkspaceFiles) => (check: CodeCheck) => {
    checks++;
    return runner.run(files, check);
  };

  beforeAll(async () => {
    provider = await DockerProvider.start();
    runner = new SandboxCodeRunner(provider);
  });
  afterAll(async () => {
    await provider?.close();
  });

  it('func-localize: \\N{no such name} scores 0 with CPython\'s error, \\N{EM DASH} scores 1', async () => {
    const inst = (await generateFuncLocalize({ repo: SHOP, perFile: 10 })).find((i) => i.targets.length === 1 && i.targets[0]!.qualname === 'checkout')!;
    const withDoc = async (doc: string) => {
      const files = new Map(await funcLocalizeWorkspace(inst));
      files.set(FILE, Buffer.from(files.get(FILE)!.toString().replace('def checkout(cart):\n', `def checkout(cart):\n    ${doc}\n`)));
      return files;
    };
    const bad = await withDoc('"""\\N{no such name}"""');
    const r = await verifyFuncLocalize(inst, bad, { workdir: '/workspace', run: runOn(bad) });
    expect(r).toMatchObject({
      reward: 0,
      success: false,
      details: { compileError: { file: FILE, line: expect.any(Number), message: "(unicode error) 'unicodeescape' codec can't decode bytes in position 0-15: unknown Unicode character name" } },
    });
    const good = await withDoc('"""Check out \\N{EM DASH} a cart \\N{bullet}."""');
    expect(await verifyFuncLocalize(inst, good, { workdir: '/workspace', run: runOn(good) })).toMatchObject({ reward: 1, success: true });
    expect(checks).toBe(2);
  });

  it.each([
    ['EM DASH', true],
    ['em dash', true],
    ['LATIN CAPITAL LETTER GHA', true], // an alias
    ['CJK UNIFIED IDEOGRAPH-4E00', true],
    ['HANGUL SYLLABLE GAG', true],
    ['LATIN CAPITAL LETTER A WITH MACRON AND GRAVE', false], // a named sequence: not for \N{}
    ['NO SUCH NAME', false],
  ])('the name %s is %s', async (name, ok) => {
    const after = Buffer.from(`x = "\\N{${name}}"\n`);
    const r = await firstCompileError([{ file: 'a.py', after, before: Buffer.from('x = 1\n') }], runOn(new Map([['a.py', after]])));
    if (ok) expect(r).toBeNull();
    else expect(r).toMatchObject({ file: 'a.py', line: 1, message: expect.stringContaining('unknown Unicode character name') });
  });

  // Coding declarations the pure check does not model: the sandbox's compile() of the bytes decides.
  it.each([
    ['x-mac-cyrillic', 'Doc.', 'unknown encoding: x-mac-cyrillic'], // WHATWG labels Node knows, CPython does not
    ['unicode-1-1-utf-8', 'Doc.', 'unknown encoding: unicode-1-1-utf-8'],
    ['windows-874', 'Doc.', 'unknown encoding: windows-874'],
    ['x-sjis', 'Doc.', 'unknown encoding: x-sjis'],
    ['cseuckr', 'Doc.', 'unknown encoding: cseuckr'],
    ['koi', 'Doc.', 'unknown encoding: koi'],
    ['logical', 'Doc.', 'unknown encoding: logical'],
    ['cp1252', 'Caf\x81.', "'charmap' codec can't decode byte 0x81"], // bytes CPython's codec leaves undefined
    ['cp1250', 'Caf\x90.', "'charmap' codec can't decode byte 0x90"],
    ['cp1253', 'Caf\x8d.', "'charmap' codec can't decode byte 0x8d"],
    ['cp1255', 'Caf\x9d.', "'charmap' codec can't decode byte 0x9d"],
    ['cp1257', 'Caf\x81.', "'charmap' codec can't decode byte 0x81"],
    ['iso-8859-11', 'Caf\xdb.', "'charmap' codec can't decode byte 0xdb"],
    ['gbk', 'Caf\x80.', "'gbk' codec can't decode byte 0x80"],
    ['big5', 'Caf\xff.', "'big5' codec can't decode byte 0xff"],
    ['euc-kr', 'Caf\x81.', "'euc_kr' codec can't decode byte 0x81"],
    ['euc-jp', 'Caf\x90.', "'euc_jp' codec can't decode byte 0x90"],
    ['cp1252', 'Caf\xe9.', null], // and legitimate ones CPython accepts
    ['mac-roman', 'Caf\x8e.', null],
    ['cp874', 'Caf\xa1.', null],
    ['utf-7', 'Caf+AOk-.', null],
    ['iso-8859-16', 'Caf\xe9.', null],
    ['ms_kanji', 'Caf\x82\xa0.', null],
  ])('the coding declaration %s with the docstring %j: %s', async (cookie, doc, error) => {
    const after = Buffer.from(`# -*- coding: ${cookie} -*-\ndef f(x):\n    """${doc}"""\n    return x\n`, 'latin1');
    const before = 'def f(x):\n    return x\n';
    const n = checks;
    const r = await firstCompileError([{ file: 'a.py', after, before: Buffer.from(before) }], runOn(new Map([['a.py', after]])));
    expect(checks).toBe(n + 1);
    if (error === null) expect(r).toBeNull();
    else expect(r).toMatchObject({ file: 'a.py', message: expect.stringContaining(error) });
  });

  it('one code check judges both the \\N{} names and a delegated file; undecodable bytes in a comment pass in the sandbox too', async () => {
    const a = Buffer.from('x = "\\N{EM DASH}"\n');
    const c = Buffer.from('# coding: cp1252\nx = "Caf\x81"\n', 'latin1');
    const n = checks;
    const files = [{ file: 'a.py', after: a, before: Buffer.from('x = 1\n') }, { file: 'c.py', after: c, before: Buffer.from('x = 1\n') }];
    expect(await firstCompileError(files, runOn(new Map([['a.py', a], ['c.py', c]])))).toMatchObject({ file: 'c.py', message: expect.stringContaining("'charmap' codec") });
    expect(checks).toBe(n + 1);
    // compile() of the bytes (what the code check and importlib do) skips comments undecoded, with
    // or without `coding: utf-8`; the pure check agrees, so no sandbox is needed for it.
    const comment = Buffer.from('# coding: utf-8\nx = 1  # caf\xe9 \xff\n', 'latin1');
    const script = String.raw`import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec'); print('compiles')`;
    const result = await runner.run(new Map([['c.py', comment]]), { name: 'probe', argv: (d) => ['python3', '-c', script, `${d.workdir}/c.py`], timeoutMs: 60_000 });
    expect(result.output).toContain('compiles');
    expect(await firstCompileError([{ file: 'c.py', after: comment, before: Buffer.from('x = 1\n') }], runOn(new Map([['c.py', comment]])))).toBeNull();
    expect(checks).toBe(n + 1);
  });
});

describe.runIf(dockerReady())('compile check in episodes', () => {
  it('an agent that writes \\N{no such name} scores 0 with the compile error; \\N{EM DASH} scores 1', async () => {
    const inst = (await generateFuncLocalize({ repo: SHOP, perFile: 10 })).find((i) => i.targets.length === 1 && i.targets[0]!.qualname === 'checkout')!;
    const provider = await DockerProvider.start();
    const pool = new SandboxPool(provider, { warm: 0 });
    const env = await make('hybrid-gym/func-localize-v0', { instances: [inst], pool });
    try {
      const scoreWith = async (doc: string) => {
        const { info } = await env.reset();
        const step = await env.step({
          tool: 'str_replace_editor',
          input: { command: 'str_replace', path: `${info.workdir}/${FILE}`, old_str: 'def checkout(cart):\n', new_str: `def checkout(cart):\n    ${doc}\n` },
        });
        expect(step.observation.isError, step.observation.text).toBe(false);
        return env.step({ tool: 'finish', input: { message: 'done' } });
      };
      const bad = await scoreWith('"""Check out a cart \\N{no such name}."""');
      expect(bad.reward).toBe(0);
      expect(bad.info.verify?.details.compileError).toMatchObject({ file: FILE, message: expect.stringContaining('unknown Unicode character name') });
      const good = await scoreWith('"""Check out a cart \\N{EM DASH} now."""');
      expect(good.info.verify?.details.compileError).toBeUndefined();
      expect(good.info.verify?.details.compileUnchecked).toBeUndefined();
      expect(good.reward).toBe(1);
    } finally {
      await env.close();
      await pool.close();
      await provider.close();
    }
  });
});
