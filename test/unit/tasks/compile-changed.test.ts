import { describe, expect, it } from 'vitest';
import type { CodeCheck, CodeCheckResult } from '../../../src/tasks/code-check.js';
import { firstCompileError } from '../../../src/tasks/compile-changed.js';

const py = (file: string, after: string, before?: string) => ({ file, after: Buffer.from(after), ...(before !== undefined && { before: Buffer.from(before) }) });
const result = (verdict: unknown): CodeCheckResult => ({
  exitCode: 0, output: '', timedOut: false, truncated: false, durationMs: 1,
  collected: { 'compile.json': verdict === undefined ? undefined : Buffer.from(JSON.stringify(verdict)) },
});

/** A fake runner that answers like the script would, from the names it is told are unknown. */
function fakeRun(unknown: string[], fileErrors: Record<string, unknown> = {}) {
  const seen: CodeCheck[] = [];
  const run = async (check: CodeCheck) => {
    seen.push(check);
    const manifest = JSON.parse(String(check.support!['manifest.json'])) as { files: Array<{ file: string; original?: string }>; names: string[] };
    const bad = manifest.names.filter((n) => unknown.includes(n.toUpperCase()));
    const files = Object.fromEntries(manifest.files.map((f) => [f.file, { error: fileErrors[f.file] ?? null, originalCompiles: Boolean(f.original) }]));
    return result({ version: [3, 11, 2], files, badNames: bad });
  };
  return { run, seen };
}

const before = 'def f():\n    return 1\n';
const withDoc = (doc: string) => `def f():\n    """${doc}"""\n    return 1\n`;

describe('firstCompileError', () => {
  it('needs no sandbox when no new literal has \\N{...}', async () => {
    const { run, seen } = fakeRun([]);
    expect(await firstCompileError([py('a.py', withDoc('Plain \\\\N{x} text.'), before), py('b.py', 'x = r"\\N{nope}"\n')], run)).toBeNull();
    expect(seen).toHaveLength(0);
  });

  it('fails a pure problem without a sandbox, with the file, line and CPython\'s message', async () => {
    const { run, seen } = fakeRun([]);
    expect(await firstCompileError([py('a.py', withDoc('C:\\Users\\x'), before)], run)).toEqual({
      file: 'a.py', line: 2, column: 21,
      message: "(unicode error) 'unicodeescape' codec can't decode bytes in position 2-3: truncated \\UXXXXXXXX escape",
    });
    expect(seen).toHaveLength(0);
  });

  it('asks the sandbox\'s Python about \\N{...}: an unknown name fails, with the interpreter\'s error', async () => {
    const message = "(unicode error) 'unicodeescape' codec can't decode bytes in position 0-15: unknown Unicode character name";
    const { run, seen } = fakeRun(['NO SUCH NAME'], { 'a.py': { line: 2, column: 27, message } });
    expect(await firstCompileError([py('a.py', withDoc('\\N{no such name}'), before)], run)).toEqual({ file: 'a.py', line: 2, column: 27, message });
    expect(seen).toHaveLength(1);
    const argv = seen[0]!.argv({ workdir: '/w', support: '/s', out: '/o' });
    expect(argv.slice(0, 4)).toEqual(['python3', '-I', '-S', '-W']);
    expect(seen[0]!.collect).toEqual(['compile.json']);
    expect(Object.keys(seen[0]!.support!).sort()).toEqual(['compile.py', 'files/0.py', 'manifest.json', 'originals/0.py']);
  });

  it('passes a known name', async () => {
    const { run, seen } = fakeRun(['NOPE']);
    expect(await firstCompileError([py('a.py', withDoc('A \\N{EM DASH} B.'), before)], run)).toBeNull();
    expect(seen).toHaveLength(1);
  });

  it('holds only the new names against a file whose original never compiled', async () => {
    const broken = 'x = "\\x4"\n';
    const error = { line: 1, column: 10, message: 'truncated' };
    const fake = fakeRun(['NOPE'], { 'a.py': error });
    // The original also fails (originalCompiles false): the bad name decides.
    const run = async (c: CodeCheck) => {
      const r = await fake.run(c);
      const v = JSON.parse(r.collected['compile.json']!.toString());
      v.files['a.py'].originalCompiles = false;
      return result(v);
    };
    expect(await firstCompileError([py('a.py', `${broken}y = "\\N{EM DASH}"\n`, broken)], run)).toBeNull();
    expect(await firstCompileError([py('a.py', `${broken}y = "\\N{nope}"\n`, broken)], run)).toMatchObject({ file: 'a.py', line: 2, message: expect.stringContaining('unknown Unicode character name') });
  });

  it('without a runner, a file that needs the interpreter comes back unchecked (not failed), saying why', async () => {
    expect(await firstCompileError([py('a.py', withDoc('\\N{EM DASH}'), before)], undefined)).toEqual({
      unchecked: { files: ['a.py'], reason: expect.stringContaining('without ctx.run') },
    });
    // ...and a pure problem still fails without one.
    expect(await firstCompileError([py('a.py', withDoc('\\N{EM DASH} \\x'), before)], undefined)).toMatchObject({ file: 'a.py' });
    expect(await firstCompileError([py('a.py', withDoc('\\N{EM DASH}'), before)], undefined, { pureOnly: true })).toBeNull();
  });

  it('leaves a codec it does not model to the sandbox\'s compile(), in the same single check as the names', async () => {
    const charmap = "'charmap' codec can't decode byte 0x81 in position 38: character maps to <undefined>";
    const { run, seen } = fakeRun(['NOPE'], { 'c.py': { line: 0, column: -1, message: charmap } });
    const cp1252 = (doc: string) => ({ file: 'c.py', after: Buffer.from(`# coding: cp1252\n${withDoc(doc)}`, 'latin1'), before: Buffer.from(before) });
    expect(await firstCompileError([py('a.py', withDoc('A \\N{EM DASH} B.'), before), cp1252('Caf\x81.')], run)).toEqual({ file: 'c.py', line: 0, column: -1, message: charmap });
    expect(seen).toHaveLength(1);
    const manifest = JSON.parse(String(seen[0]!.support!['manifest.json']));
    expect(manifest).toEqual({ files: [{ file: 'a.py', copy: 'files/0.py', original: 'originals/0.py' }, { file: 'c.py', copy: 'files/1.py', original: 'originals/1.py' }], names: ['EM DASH'] });
    expect(seen[0]!.support!['files/1.py']).toEqual(cp1252('Caf\x81.').after);
    // Accepted by the interpreter: passes.
    expect(await firstCompileError([cp1252('Caf\xe9.')], fakeRun([]).run)).toBeNull();
    // Without a runner it is unchecked, not failed; with pureOnly no sandbox starts.
    expect(await firstCompileError([cp1252('Caf\x81.')], undefined)).toEqual({ unchecked: { files: ['c.py'], reason: expect.stringContaining('coding declarations') } });
    expect(await firstCompileError([cp1252('Caf\x81.')], run, { pureOnly: true })).toBeNull();
    expect(seen).toHaveLength(1);
  });

  it('judges invalid UTF-8 as compile() of the bytes does: a comment passes, a docstring fails without a sandbox', async () => {
    const { run, seen } = fakeRun([]);
    const latin1 = (file: string, s: string) => ({ file, after: Buffer.from(s, 'latin1'), before: Buffer.from(before) });
    expect(await firstCompileError([latin1('a.py', `${withDoc('D.')}# caf\xe9\n`), latin1('b.py', `# coding: utf-8\n${withDoc('D.')}# \xff\n`)], run)).toBeNull();
    expect(await firstCompileError([latin1('a.py', withDoc('Caf\xe9.'))], run)).toMatchObject({ file: 'a.py', line: 2, message: "(unicode error) 'utf-8' codec can't decode byte 0xe9 in position 3: invalid continuation byte" });
    expect(seen).toHaveLength(0);
  });

  it('a check with no verdict (timed out, crashed) fails the file', async () => {
    const run = async () => ({ ...result(undefined), timedOut: true });
    expect(await firstCompileError([py('a.py', withDoc('\\N{EM DASH}'), before)], run)).toEqual({ file: 'a.py', line: null, message: 'the compile check timed out' });
  });
});
