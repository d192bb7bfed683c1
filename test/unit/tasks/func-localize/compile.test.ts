import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CodeCheck, CodeCheckResult } from '../../../../src/tasks/code-check.js';
import { generateFuncLocalize } from '../../../../src/tasks/func-localize/generate.js';
import type { FuncLocalizeInstance } from '../../../../src/tasks/func-localize/schema.js';
import { verifyFuncLocalize } from '../../../../src/tasks/func-localize/verify.js';
import { funcLocalizeWorkspace } from '../../../../src/tasks/func-localize/workspace.js';

const SHOP = fileURLToPath(new URL('../../../fixtures/func-localize/shop', import.meta.url));
const FILE = 'pkg/cart.py';

/** What CPython 3.11 says about `\N{no such name}` in this docstring (the fake stands in for the sandbox). */
const UNKNOWN = "(unicode error) 'unicodeescape' codec can't decode bytes in position 0-15: unknown Unicode character name";

function fakeRun() {
  const checks: CodeCheck[] = [];
  const run = async (check: CodeCheck): Promise<CodeCheckResult> => {
    checks.push(check);
    const m = JSON.parse(String(check.support!['manifest.json'])) as { files: Array<{ file: string; copy: string }>; names: string[] };
    const bad = m.names.filter((n) => n.toUpperCase() !== 'EM DASH');
    const files = Object.fromEntries(
      m.files.map((f) => [f.file, { error: bad.length ? { line: 28, column: 27, message: UNKNOWN } : null, originalCompiles: true }]),
    );
    return { exitCode: 0, output: '', timedOut: false, truncated: false, durationMs: 1, collected: { 'compile.json': Buffer.from(JSON.stringify({ files, badNames: bad })) } };
  };
  return { run, checks };
}

describe('func-localize verifier: changed files must compile', () => {
  let inst: FuncLocalizeInstance;
  beforeAll(async () => {
    const all = await generateFuncLocalize({ repo: SHOP, perFile: 10 });
    inst = all.find((i) => i.targets.length === 1 && i.targets[0]!.qualname === 'checkout')!;
  });
  const withDoc = async (doc: string, extra: (t: string) => string = (t) => t) => {
    const files = new Map(await funcLocalizeWorkspace(inst));
    files.set(FILE, Buffer.from(extra(files.get(FILE)!.toString().replace('def checkout(cart):\n', `def checkout(cart):\n    ${doc}\n`))));
    return files;
  };

  it.each([
    ['C:\\Users\\x', '"""C:\\Users\\x"""', 'truncated \\UXXXXXXXX escape'],
    ['\\U00110000', '"""\\U00110000 out of range."""', 'illegal Unicode character'],
    ['a bad \\x', '"""Byte \\xZZ."""', 'truncated \\xXX escape'],
    ['\\u12', '"""Char \\u12."""', 'truncated \\uXXXX escape'],
    ['a NUL byte', '"""Check out.""" # \0', 'null bytes'],
    ['a tab among spaces', '"""Check out."""\n\t# fine\n\tpass', 'inconsistent use of tabs and spaces'],
  ])('fails: %s, with the error in details.compileError', async (_, doc, message) => {
    const { run, checks } = fakeRun();
    const r = await verifyFuncLocalize(inst, await withDoc(doc), { workdir: '/workspace', run });
    expect(r).toMatchObject({ reward: 0, success: false, details: { compileError: { file: FILE, line: expect.any(Number), message: expect.stringContaining(message) } } });
    expect(checks).toHaveLength(0); // decided without a sandbox
  });

  it('fails: invalid UTF-8 in a docstring and a new coding declaration that does not fit; in a comment it passes, as for compile()', async () => {
    const files = await withDoc('"""Check out."""');
    files.set(FILE, Buffer.concat([files.get(FILE)!, Buffer.from('# caf\xe9\n', 'latin1')]));
    expect(await verifyFuncLocalize(inst, files)).toMatchObject({ reward: 1 });
    const latin1 = await withDoc('"""Check out."""');
    latin1.set(FILE, Buffer.from(latin1.get(FILE)!.toString('utf8').replace('Check out.', 'Caf\xe9.'), 'latin1'));
    expect(await verifyFuncLocalize(inst, latin1)).toMatchObject({ reward: 0, details: { compileError: { file: FILE, message: expect.stringContaining("(unicode error) 'utf-8' codec can't decode byte 0xe9") } } });
    const cookie = await withDoc('"""Check out, café."""', (t) => `# -*- coding: ascii -*-\n${t}`);
    expect(await verifyFuncLocalize(inst, cookie)).toMatchObject({ reward: 0, details: { compileError: { file: FILE, message: expect.stringContaining("'ascii' codec") } } });
  });

  it('fails: \\N{...} with an unknown name, as the sandbox\'s Python says', async () => {
    const { run, checks } = fakeRun();
    const r = await verifyFuncLocalize(inst, await withDoc('"""\\N{no such name}"""'), { workdir: '/workspace', run });
    expect(r).toMatchObject({ reward: 0, success: false, details: { compileError: { file: FILE, line: 28, column: 27, message: UNKNOWN } } });
    expect(checks).toHaveLength(1);
  });

  it.each([
    ['r"C:\\Users"', 'r"""C:\\Users\\x"""'],
    ['\\N{EM DASH}', '"""Check out \\N{EM DASH} and return a receipt."""'],
    ['"\\d" (a warning only)', '"""Match \\d+ digits."""'],
    ['escaped backslashes', '"""Not an escape: \\\\N{nope} \\\\x."""'],
    ['a line continuation in the docstring', '"""Check out \\\n    a cart."""'],
  ])('passes: %s', async (_, doc) => {
    const { run } = fakeRun();
    const r = await verifyFuncLocalize(inst, await withDoc(doc), { workdir: '/workspace', run });
    expect(r).toMatchObject({ reward: 1, success: true });
    expect(r.details).not.toHaveProperty('compileError');
  });

  it('passes: a docstring in a file with byte strings and f-strings', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'hg-compile-'));
    await cp(SHOP, repo, { recursive: true });
    const extra = 'DATA = b"\\N{x} \\u12 \\d"\nLABEL = f"{len(DATA)!r:>{4}} {{\\x41}} \\N{EM DASH}"\nRAW = rb"\\x"\n';
    await writeFile(join(repo, FILE), (await readFile(join(repo, FILE), 'utf8')) + extra);
    const other = (await generateFuncLocalize({ repo, perFile: 10 })).find((i) => i.targets.length === 1 && i.targets[0]!.qualname === 'checkout')!;
    const files = new Map(await funcLocalizeWorkspace(other));
    files.set(FILE, Buffer.from(files.get(FILE)!.toString().replace('def checkout(cart):\n', 'def checkout(cart):\n    """Check out \\u2014 a cart."""\n')));
    const { run, checks } = fakeRun();
    expect(await verifyFuncLocalize(other, files, { workdir: '/workspace', run })).toMatchObject({ reward: 1, success: true });
    expect(checks).toHaveLength(0); // the \N{EM DASH} was already there: nothing to look up
    await rm(repo, { recursive: true, force: true });
  });

  it('without ctx.run, a new \\N{...} is not judged: details.compileUnchecked says so and the file checks decide', async () => {
    const r = await verifyFuncLocalize(inst, await withDoc('"""A \\N{EM DASH}."""'));
    expect(r).toMatchObject({ reward: 1, details: { compileUnchecked: { files: [FILE], reason: expect.stringContaining('ctx.run') } } });
    expect(r.details).not.toHaveProperty('compileError');
  });
});
