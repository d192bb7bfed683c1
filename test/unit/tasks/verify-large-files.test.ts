import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDepSearch } from '../../../src/tasks/dep-search/generate.js';
import { depSearchOracle } from '../../../src/tasks/dep-search/oracle.js';
import type { DepSearchInstance } from '../../../src/tasks/dep-search/schema.js';
import { verifyDepSearch } from '../../../src/tasks/dep-search/verify.js';
import { requiredComment } from '../../../src/tasks/dep-search/comment.js';
import { generateFuncLocalize } from '../../../src/tasks/func-localize/generate.js';
import { funcLocalizeOracle } from '../../../src/tasks/func-localize/oracle.js';
import type { FuncLocalizeInstance } from '../../../src/tasks/func-localize/schema.js';
import { verifyFuncLocalize } from '../../../src/tasks/func-localize/verify.js';
import { funcLocalizeWorkspace } from '../../../src/tasks/func-localize/workspace.js';
import type { VerifyResult } from '../../../src/tasks/define-task.js';
import { loadRepoFiles, type WorkspaceFiles } from '../../../src/workspace/files.js';
import { largePython } from '../../support/large-python.js';

// Large files are compared block by block (only the top-level blocks that changed are parsed);
// `blockChars: Infinity` makes the verifiers parse them whole, as before: both must agree. (The
// differential tests lower the size from which files count as large, to keep them quick.)
const WHOLE = { blockChars: Infinity };
const BLOCKS = { blockChars: 1_000 };
const WORKDIR = '/workspace';
const MID = 'pkg/mid.py';

function makeRepo(eol: string, midChars = 300_000): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hg-large-'));
  mkdirSync(path.join(dir, 'pkg'));
  writeFileSync(path.join(dir, 'pkg/__init__.py'), '');
  // Over the block size, under the analysis' 1 MB: the generators take targets from it.
  writeFileSync(path.join(dir, MID), largePython(midChars, { eol, prefix: 'm' }));
  writeFileSync(path.join(dir, 'pkg/use.py'), ['from pkg.mid import *', '', 'def main():', '    """Run it."""', '    return 1', ''].join(eol));
  return dir;
}

/** Applies `str_replace_editor insert` actions in memory, as the tool does. */
function applyInserts(files: WorkspaceFiles, actions: Array<{ input?: unknown }>): WorkspaceFiles {
  const out = new Map(files);
  for (const a of actions) {
    const input = a.input as { path: string; insert_line: number; new_str: string };
    const file = input.path.slice(WORKDIR.length + 1);
    const text = out.get(file)!.toString('utf8');
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    const lines = text.split(eol);
    lines.splice(input.insert_line, 0, input.new_str);
    out.set(file, Buffer.from(lines.join(eol)));
  }
  return out;
}

function editText(files: WorkspaceFiles, file: string, edit: (text: string, eol: string) => string): WorkspaceFiles {
  const text = files.get(file)!.toString('utf8');
  return new Map(files).set(file, Buffer.from(edit(text, text.includes('\r\n') ? '\r\n' : '\n')));
}

/** Inserts a line so that it becomes line `at` (1-based). */
const insertLine = (at: number, line: string) => (text: string, eol: string) => {
  const lines = text.split(eol);
  lines.splice(at - 1, 0, line);
  return lines.join(eol);
};

/** The verdict without line numbers (which the two ways may place differently after a code change). */
const shape = (r: VerifyResult) => ({
  reward: r.reward,
  success: r.success,
  ...Object.fromEntries(
    Object.entries(r.details).map(([k, v]) => [
      k,
      Array.isArray(v) ? v.map((x) => (typeof x === 'object' && x ? { ...x, line: undefined, originalLine: undefined } : x)).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) : v,
    ]),
  ),
});

/** Edits an agent might make (well or badly) on a solved workspace, around line `near` of `file`. */
function edits(solved: WorkspaceFiles, masked: WorkspaceFiles, file: string, near: number, seed: number): Array<[string, WorkspaceFiles]> {
  const lines = solved.get(file)!.toString('utf8').split('\n').length;
  let s = seed;
  const rand = (n: number) => ((s = (s * 48271) % 2147483647) % n) + 1;
  const far = rand(lines - 2);
  return [
    ['solved', solved],
    ['untouched', masked],
    ['a comment far away', editText(solved, file, insertLine(far, '# a note'))],
    ['a comment right above the target', editText(solved, file, insertLine(near, '# about this one'))],
    ['an indented comment next to the target', editText(solved, file, insertLine(near + 1, '        # inside'))],
    ['a code line far away', editText(solved, file, insertLine(far, 'x = 1'))],
    ['a code line near the target', editText(solved, file, insertLine(near + 2, '    y = 2'))],
    ['a string opened far away', editText(solved, file, insertLine(far, '"""'))],
    ['a line deleted far away', editText(solved, file, (t, eol) => t.split(eol).filter((_, i) => i !== far - 1).join(eol))],
    ['a code change at the very end', editText(solved, file, (t, eol) => `${t}z = 3${eol}`)],
    ['a comment at the very end', editText(solved, file, (t, eol) => `${t}# bye${eol}`)],
    ['another docstring changed', editText(solved, file, (t) => t.replace(/"""(Cached|Method of|Fetch) (m\d+)/, '"""$1 renamed $2').replace(/'''Fetch/, "'''Get"))],
    ['the module docstring changed', editText(solved, file, (t) => t.replace('"""A generated module."""', '"""Changed."""'))],
    ['the file truncated', editText(solved, file, (t) => t.slice(0, Math.floor(t.length / 2)))],
  ];
}

for (const [label, eol] of [['LF', '\n'], ['CRLF', '\r\n']] as const) {
  describe(`verifiers on a large file (${label}): block by block as whole`, () => {
    let repo: string;
    beforeAll(() => {
      repo = makeRepo(eol, 40_000);
    });

    it('func-localize: the same verdict for changes far from and near the target', async () => {
      const all = await generateFuncLocalize({ repo, perFile: 50, seed: 3 });
      const picked = all.filter((i) => i.targets[0]!.file === MID).filter((_, k) => k % 7 === 0).slice(0, 3);
      expect(picked.length).toBeGreaterThan(2);
      for (const [k, inst] of picked.entries()) {
        const masked = await funcLocalizeWorkspace(inst);
        const solved = applyInserts(masked, await funcLocalizeOracle(inst, { workdir: WORKDIR }));
        expect((await verifyFuncLocalize(inst, solved)).reward, inst.id).toBe(1);
        for (const [what, files] of edits(solved, masked, MID, inst.targets[0]!.line, k + 11)) {
          const blocks = await verifyFuncLocalize(inst, files, {}, BLOCKS);
          const whole = await verifyFuncLocalize(inst, files, {}, WHOLE);
          expect(shape(blocks), `${inst.id}: ${what}`).toEqual(shape(whole));
        }
      }
    }, 240_000);

    it('dep-search: the same verdict for comments and code changes anywhere', async () => {
      const all = (await generateDepSearch({ repo, n: 30, seed: 2, includeTests: true })).filter((i) => i.dependencies.some((d) => d.file === MID));
      expect(all.length).toBeGreaterThan(0);
      for (const [k, inst] of all.slice(0, 2).entries()) {
        const original = await loadRepoFiles(repo);
        const solved = applyInserts(original, await depSearchOracle(inst, { workdir: WORKDIR }));
        expect((await verifyDepSearch(inst, solved)).reward, inst.id).toBe(1);
        const dep = inst.dependencies.find((d) => d.file === MID)!;
        const marker = requiredComment(inst.target.name);
        const cases = [
          ...edits(solved, original, MID, dep.anchorLine, k + 5),
          ['a marker above another definition', editText(solved, MID, (t, eol) => t.replace(`${eol}class M`, `${eol}${marker}${eol}class M`))] as [string, WorkspaceFiles],
          ['a marker with another name', editText(solved, MID, (t) => t.replace(marker, requiredComment('other')))] as [string, WorkspaceFiles],
          ['a marker two lines up', editText(solved, MID, (t, eol) => t.replace(`${marker}${eol}`, '').replace(/(\r?\n)(def m\d+)/, `$1${marker}$1$1$2`))] as [string, WorkspaceFiles],
        ];
        for (const [what, files] of cases) {
          const blocks = await verifyDepSearch(inst, files, {}, BLOCKS);
          const whole = await verifyDepSearch(inst, files, {}, WHOLE);
          expect(shape(blocks), `${inst.id}: ${what}`).toEqual(shape(whole));
          if (what === 'a code change at the very end') {
            expect(blocks.details.violations).toEqual(whole.details.violations);
          }
        }
      }
    }, 240_000);
  });
}

describe('a 5 MB file', () => {
  let repo: string;
  let inst: FuncLocalizeInstance;
  let solved: WorkspaceFiles;
  let dep: DepSearchInstance;
  let big: string;
  beforeAll(async () => {
    repo = makeRepo('\n');
    // Over the analysis' 1 MB: no targets in it, but an agent may change it.
    big = largePython(5_000_000, { prefix: 'b', seed: 9 });
    writeFileSync(path.join(repo, 'big.py'), big);
    inst = (await generateFuncLocalize({ repo, perFile: 5, seed: 1 }))[0]!;
    solved = applyInserts(await funcLocalizeWorkspace(inst), await funcLocalizeOracle(inst, { workdir: WORKDIR }));
    dep = (await generateDepSearch({ repo, n: 5, seed: 1 }))[0]!;
  }, 120_000);

  const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const t = performance.now();
    const r = await fn();
    return [r, performance.now() - t];
  };

  it('a comment in its middle is accepted, a code change on its last line is not: without parsing it whole', async () => {
    // Above a top-level def in the middle (a line inside a string would be a code change).
    const middle = big.slice(0, big.indexOf('\ndef ', big.length / 2) + 1).split('\n').length;
    const [ok, okMs] = await timed(() => verifyFuncLocalize(inst, editText(solved, 'big.py', insertLine(middle, '# just a note'))));
    expect(ok).toMatchObject({ reward: 1, success: true });
    const lines = big.split('\n').length;
    const [bad, badMs] = await timed(() => verifyFuncLocalize(inst, editText(solved, 'big.py', (t) => t.replace(/\n$/, ' + 1\n'))));
    expect(bad).toMatchObject({ reward: 0, success: false });
    expect(bad.details.violations).toEqual([{ file: 'big.py', line: lines - 1, problem: 'code changed (only docstrings and comments may change)' }]);
    // Parsing it whole takes far longer (about 10 s on the 2-core machine).
    expect(Math.max(okMs, badMs)).toBeLessThan(8_000);
  });

  it('dep-search: a code change hidden at its very end is found', async () => {
    const original = await loadRepoFiles(repo);
    const solvedDeps = applyInserts(original, await depSearchOracle(dep, { workdir: WORKDIR }));
    expect((await verifyDepSearch(dep, editText(solvedDeps, 'big.py', insertLine(10, '# hi')))).reward).toBe(1);
    const hidden = editText(solvedDeps, 'big.py', (t) => `${t}import os  # harmless?\n`);
    const [r, ms] = await timed(() => verifyDepSearch(dep, hidden));
    expect(r).toMatchObject({ reward: 0, success: false });
    expect(r.details.violations).toEqual([expect.objectContaining({ kind: 'code-changed', file: 'big.py', line: big.split('\n').length })]);
    expect(ms).toBeLessThan(8_000);
  });
});

describe('the file-size cap', () => {
  let repo: string;
  beforeAll(() => {
    repo = makeRepo('\n', 140_000);
  });

  it('a changed file grown past it is a violation with the sizes, not a crash', async () => {
    const inst = (await generateFuncLocalize({ repo, perFile: 5, seed: 1 })).find((i) => i.targets[0]!.file === MID)!;
    const solved = applyInserts(await funcLocalizeWorkspace(inst), await funcLocalizeOracle(inst, { workdir: WORKDIR }));
    expect((await verifyFuncLocalize(inst, solved, {}, { maxFileBytes: 200_000 })).reward).toBe(1);
    const grown = editText(solved, MID, (t) => `${t}${'# padding\n'.repeat(8_000)}`);
    const r = await verifyFuncLocalize(inst, grown, {}, { maxFileBytes: 200_000 });
    expect(r).toMatchObject({ reward: 0, success: false });
    expect(r.details.violations).toEqual([{ file: MID, problem: expect.stringMatching(/^too large to verify: \d+ bytes, over the verifier's limit of 200000/) }]);
    expect(r.details.targets).toEqual([{ file: MID, qualname: inst.targets[0]!.qualname, documented: false, reason: 'file too large to verify' }]);
  });

  it('HYBRID_GYM_VERIFY_MAX_FILE_BYTES sets it for dep-search too', async () => {
    const inst = (await generateDepSearch({ repo, n: 5, seed: 1 }))[0]!;
    const original = await loadRepoFiles(repo);
    const grown = editText(applyInserts(original, await depSearchOracle(inst, { workdir: WORKDIR })), MID, (t) => `${t}${'# padding\n'.repeat(8_000)}`);
    process.env.HYBRID_GYM_VERIFY_MAX_FILE_BYTES = '200000';
    try {
      const r = await verifyDepSearch(inst, grown);
      expect(r).toMatchObject({ reward: 0, success: false });
      expect(r.details.violations).toEqual([{ kind: 'too-large', file: MID, line: null, problem: expect.stringContaining('200000') }]);
    } finally {
      delete process.env.HYBRID_GYM_VERIFY_MAX_FILE_BYTES;
    }
    expect((await verifyDepSearch(inst, grown)).details.violations).toEqual([]);
  }, 120_000);
});
