import { beforeAll, describe, expect, it } from 'vitest';
import type { CodeCheck, CodeCheckResult } from '../../../../src/tasks/code-check.js';
import { depSearchTask, type DepSearchInstance } from '../../../../src/tasks/dep-search/index.js';
import { verifyDepSearch } from '../../../../src/tasks/dep-search/verify.js';
import type { WorkspaceFiles } from '../../../../src/workspace/files.js';
import { applyInserts, editLines, instanceFor, WORKDIR } from './helpers.js';

const M = 'shop/models.py';

function fakeRun(known: string[]) {
  const checks: CodeCheck[] = [];
  const run = async (check: CodeCheck): Promise<CodeCheckResult> => {
    checks.push(check);
    const m = JSON.parse(String(check.support!['manifest.json'])) as { files: Array<{ file: string }>; names: string[] };
    const bad = m.names.filter((n) => !known.includes(n.toUpperCase()));
    const error = { line: 1, column: 20, message: "(unicode error) 'unicodeescape' codec can't decode bytes in position 0-7: unknown Unicode character name" };
    const files = Object.fromEntries(m.files.map((f) => [f.file, { error: bad.length ? error : null, originalCompiles: true }]));
    return { exitCode: 0, output: '', timedOut: false, truncated: false, durationMs: 1, collected: { 'compile.json': Buffer.from(JSON.stringify({ files, badNames: bad })) } };
  };
  return { run, checks };
}

describe('dep-search verifier: changed files must compile', () => {
  let inst: DepSearchInstance;
  let solved: WorkspaceFiles;
  beforeAll(async () => {
    inst = await instanceFor('make_cart');
    solved = applyInserts(await depSearchTask.workspace(inst), await depSearchTask.oracle(inst, { workdir: WORKDIR }));
  });

  it('the oracle\'s answer compiles: reward 1 and no compile error', async () => {
    const r = await verifyDepSearch(inst, solved);
    expect(r).toMatchObject({ reward: 1, success: true });
    expect(r.details).not.toHaveProperty('compileError');
  });

  it('a right answer in a file that no longer compiles (a tab among spaces) scores 0, with the error', async () => {
    const files = editLines(solved, M, (l) => {
      const k = l.indexOf('    def add(self, item):');
      l.splice(k + 1, 0, '\t# a tab-indented comment is fine');
      l[k + 2] = l[k + 2]!.replace('        ', '\t'); // the body line: 8 spaces -> tab, inconsistent with the def's 4
    });
    const r = await verifyDepSearch(inst, files);
    expect(r).toMatchObject({ reward: 0, success: false, details: { violations: [], compileError: { file: M, message: 'inconsistent use of tabs and spaces in indentation' } } });
  });

  it('a NUL byte in a comment scores 0', async () => {
    const files = editLines(solved, M, (l) => l.push('# nul \0 here'));
    expect(await verifyDepSearch(inst, files)).toMatchObject({ reward: 0, details: { compileError: { file: M, message: expect.stringContaining('null bytes') } } });
  });

  it('a new coding declaration that does not fit the bytes scores 0', async () => {
    const files = editLines(solved, M, (l) => l.unshift('# -*- coding: ascii -*-', '# café'));
    expect(await verifyDepSearch(inst, files)).toMatchObject({ reward: 0, details: { compileError: { file: M, line: 2 } } });
  });

  it('\\N{...} in a comment needs no lookup; the runner is not called', async () => {
    const { run, checks } = fakeRun([]);
    const files = editLines(solved, M, (l) => l.push('# \\N{nope} in a comment'));
    expect(await verifyDepSearch(inst, files, { workdir: WORKDIR, run })).toMatchObject({ reward: 1, success: true });
    expect(checks).toHaveLength(0);
  });

  it('checks a file only when it changed, and asks the sandbox only when the reward is at stake', async () => {
    const { run, checks } = fakeRun(['EM DASH']);
    const noop = await verifyDepSearch(inst, await depSearchTask.workspace(inst), { workdir: WORKDIR, run });
    expect(noop.reward).toBe(0);
    expect(checks).toHaveLength(0);
  });
});
