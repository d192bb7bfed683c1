import { cp, mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../src/errors.js';
import { filesAtCommit } from '../../../../src/tasks/issue-localize/git-tree.js';
import { goldLocations, patchPaths } from '../../../../src/tasks/issue-localize/patch-locations.js';
import type { WorkspaceFiles } from '../../../../src/workspace/files.js';
import { debianPythonModule } from '../../../support/debian-repos.js';
import { CORE_BASE, makeHistoryRepo, type HistoryRepo } from '../../../support/history-repo.js';

let repo: HistoryRepo;
let files: WorkspaceFiles;
beforeAll(async () => {
  repo = await makeHistoryRepo();
  files = await filesAtCommit(repo.dir, repo.baseCommit);
});

/** A patch of `file` in the base tree with `from` replaced by `to` (a/ b/ prefixes, three lines of context). */
const edit = (file: string, from: string, to: string): string => {
  const old = files.get(file)!.toString('utf8');
  expect(old).toContain(from);
  return createTwoFilesPatch(`a/${file}`, `b/${file}`, old, old.replace(from, to));
};
const CORE = 'calc/core.py';

describe('goldLocations', () => {
  it('maps the fixture fix to the changed function, its qualname and the lines around the insertion', () => {
    expect(goldLocations(repo.row.patch, files)).toEqual({
      locations: [{ file: CORE, qualname: 'divide', line: 18, endLine: 19 }],
      skipped: [],
    });
    expect(CORE_BASE.split('\n').slice(17, 19)).toEqual(['def divide(a, b):', '    return a / b']);
  });

  it('leaves out test files, new files and other languages, saying why', () => {
    const newFile = createTwoFilesPatch('/dev/null', 'b/calc/new.py', '', 'def new():\n    return 1\n');
    const readme = edit('README.md', '# calc', '# Calc');
    const { locations, skipped } = goldLocations([repo.row.patch, repo.row.test_patch, newFile, readme].join('\n'), files);
    expect(locations).toEqual([{ file: CORE, qualname: 'divide', line: 18, endLine: 19 }]);
    expect(skipped).toEqual([
      { file: 'README.md', reason: 'not a Python file' },
      { file: 'calc/new.py', reason: 'created by the patch: no place to comment in the base tree' },
      { file: 'tests/test_core.py', reason: 'test file' },
    ]);
    const missing = createTwoFilesPatch('a/calc/gone.py', 'b/calc/gone.py', 'x = 1\n', 'x = 2\n');
    expect(goldLocations(missing, files)).toEqual({ locations: [], skipped: [{ file: 'calc/gone.py', reason: 'not in the base tree' }] });
  });

  it('gives a module-level change no qualname, and methods and class bodies their own', () => {
    expect(goldLocations(edit(CORE, 'PRECISION = 10', 'PRECISION = 12'), files).locations).toEqual([{ file: CORE, line: 3, endLine: 3 }]);
    expect(goldLocations(edit(CORE, 'self.total = add(self.total, value)', 'self.total += value'), files).locations).toEqual([
      { file: CORE, qualname: 'Accumulator.push', line: 38, endLine: 38 },
    ]);
    // Inserted after __init__'s last line: that line and the blank class-body line after it.
    expect(goldLocations(edit(CORE, '        self.total = 0\n', '        self.total = 0\n    limit = 5\n'), files).locations).toEqual([
      { file: CORE, qualname: 'Accumulator.__init__', line: 35, endLine: 35 },
      { file: CORE, qualname: 'Accumulator', line: 36, endLine: 36 },
    ]);
  });

  it('splits one hunk over several definitions into one location each, and separate runs apart', () => {
    const patch = edit(CORE, '    return a * b\n\n\ndef divide(a, b):\n    return a / b', '    return b * a\n\n\ndef divide(a, b):\n    return b and a / b');
    expect(goldLocations(patch, files).locations).toEqual([
      { file: CORE, qualname: 'multiply', line: 15, endLine: 15 },
      { file: CORE, qualname: 'divide', line: 19, endLine: 19 },
    ]);
    const power = edit(CORE, '    result = 1\n    for _ in range(exp):\n        result *= base\n    return result', '    result = 1.0\n    for _ in range(exp):\n        result *= base\n    return float(result)');
    expect(goldLocations(power, files).locations).toEqual([
      { file: CORE, qualname: 'power', line: 23, endLine: 23 },
      { file: CORE, qualname: 'power', line: 26, endLine: 26 },
    ]);
  });

  it('places insertion-only hunks, with or without context, at both neighbours, clipped to the file', () => {
    const noContext = ['--- a/calc/core.py', '+++ b/calc/core.py', '@@ -19,0 +20 @@', '+    # checked', ''].join('\n');
    expect(goldLocations(noContext, files).locations).toEqual([
      { file: CORE, qualname: 'divide', line: 19, endLine: 19 },
      { file: CORE, line: 20, endLine: 20 },
    ]);
    const atStart = ['--- a/calc/core.py', '+++ b/calc/core.py', '@@ -0,0 +1 @@', '+# -*- coding: utf-8 -*-', ''].join('\n');
    expect(goldLocations(atStart, files).locations).toEqual([{ file: CORE, line: 1, endLine: 1 }]);
    const atEnd = edit(CORE, '        return self.total\n', '        return self.total\n\n\nZERO = 0\n');
    expect(goldLocations(atEnd, files).locations).toEqual([{ file: CORE, qualname: 'Accumulator.push', line: 39, endLine: 39 }]);
  });

  it('uses the old path of a renamed file and covers a deleted file whole', () => {
    const renamed = [
      'diff --git a/calc/util.py b/calc/utils.py',
      'similarity index 90%',
      'rename from calc/util.py',
      'rename to calc/utils.py',
      'index 1111111..2222222 100644',
      '--- a/calc/util.py',
      '+++ b/calc/utils.py',
      '@@ -5,4 +5,4 @@ def total(values):',
      '     out = 0',
      '     for v in values:',
      '         out = add(out, v)',
      '-    return out',
      '+    return int(out)',
      '',
    ].join('\n');
    expect(goldLocations(renamed, files)).toEqual({ locations: [{ file: 'calc/util.py', qualname: 'total', line: 8, endLine: 8 }], skipped: [] });
    const pureRename = ['diff --git a/calc/util.py b/calc/utils.py', 'similarity index 100%', 'rename from calc/util.py', 'rename to calc/utils.py', ''].join('\n');
    expect(goldLocations(pureRename, files)).toEqual({ locations: [], skipped: [{ file: 'calc/util.py', reason: 'renamed without changes' }] });
    const util = files.get('calc/util.py')!.toString();
    const deleted = createTwoFilesPatch('a/calc/util.py', '/dev/null', util, '');
    expect(goldLocations(deleted, files).locations).toEqual([
      { file: 'calc/util.py', line: 1, endLine: 3 },
      { file: 'calc/util.py', qualname: 'total', line: 4, endLine: 8 },
    ]);
  });

  it('keeps a file with syntax errors as one location without a qualname, with a note', () => {
    const broken = new Map(files);
    broken.set('calc/broken.py', Buffer.from('def f(:\n    x = 1\n    return x\n'));
    const patch = createTwoFilesPatch('a/calc/broken.py', 'b/calc/broken.py', 'def f(:\n    x = 1\n    return x\n', 'def f(:\n    x = 2\n    return x\n');
    const { locations, skipped } = goldLocations(patch, broken);
    expect(locations).toEqual([{ file: 'calc/broken.py', line: 2, endLine: 2 }]);
    expect(skipped).toEqual([{ file: 'calc/broken.py', reason: expect.stringContaining('syntax errors') }]);
  });

  it('skips a file whose hunks do not match the base tree, and rejects a patch that does not parse', () => {
    const stale = createTwoFilesPatch('a/calc/core.py', 'b/calc/core.py', CORE_BASE.replace('a / b', 'a // b'), CORE_BASE.replace('a / b', 'a / b + 0'));
    expect(goldLocations(stale, files)).toEqual({ locations: [], skipped: [{ file: CORE, reason: 'the patch does not match the base tree (line 19)' }] });
    expect(() => goldLocations('--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n-a\n', files)).toThrow(ValidationError);
  });

  it('names the base-tree paths a patch may read, with and without the a/ prefix', () => {
    const newFile = createTwoFilesPatch('/dev/null', 'b/calc/new.py', '', 'x = 1\n');
    expect(patchPaths([repo.row.patch, repo.row.test_patch, newFile].join('\n'))).toEqual([
      'a/calc/core.py', 'a/tests/test_core.py', 'b/calc/core.py', 'b/calc/new.py', 'b/tests/test_core.py',
      'calc/core.py', 'calc/new.py', 'tests/test_core.py',
    ]);
    expect(() => patchPaths('--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n-a\n')).toThrow(ValidationError);
  });

  it('is deterministic and independent of the order of the files in the patch', () => {
    const parts = [
      edit(CORE, 'self.total = add(self.total, value)', 'self.total += value'),
      edit('calc/util.py', 'out = 0', 'out = 0.0'),
      edit(CORE, 'PRECISION = 10', 'PRECISION = 12'),
      repo.row.test_patch,
    ];
    const a = goldLocations(parts.join('\n'), files);
    const b = goldLocations([...parts].reverse().join('\n'), files);
    expect(b).toEqual(a);
    expect(JSON.stringify(goldLocations(parts.join('\n'), files))).toBe(JSON.stringify(a));
    expect(a.locations.map((l) => `${l.file}:${l.line}-${l.endLine}:${l.qualname ?? ''}`)).toEqual([
      'calc/core.py:3-3:',
      'calc/core.py:38-38:Accumulator.push',
      'calc/util.py:5-5:total',
    ]);
  });
});

describe('goldLocations on real code', () => {
  it('places a git diff of requests (edits, a rename with a change, a new file) at the right definitions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hg-requests-'));
    await cp(debianPythonModule('python3-requests', 'requests'), join(dir, 'requests'), { recursive: true });
    const git = (...args: string[]) =>
      execa('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args]);
    await git('init', '-q');
    await git('add', '.');
    await git('commit', '-q', '-m', 'base');
    const sessions = join(dir, 'requests/sessions.py');
    const before = await readFile(sessions, 'utf8');
    const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    const replace = (text: string, from: string, to: string) => {
      expect(text).toContain(from);
      return text.replace(from, to);
    };
    let after = replace(before, '    if session_setting is None:\n', '    if session_setting is None or session_setting == {}:\n');
    after = replace(after, 'kwargs.setdefault("stream", self.stream)', 'kwargs.setdefault("stream", bool(self.stream))');
    await writeFile(sessions, after);
    const help = await readFile(join(dir, 'requests/help.py'), 'utf8');
    await rename(join(dir, 'requests/help.py'), join(dir, 'requests/diagnostics.py'));
    await writeFile(join(dir, 'requests/diagnostics.py'), replace(help, 'sort_keys=True, indent=2', 'sort_keys=True, indent=4'));
    await writeFile(join(dir, 'requests/extra.py'), 'VALUE = 1\n');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'fix');
    const { stdout: patch } = await git('diff', '-M', 'HEAD~1', 'HEAD');
    expect(patch).toContain('rename from requests/help.py');

    const files = await filesAtCommit(dir, 'HEAD~1');
    expect(goldLocations(`${patch}\n`, files)).toEqual({
      locations: [
        { file: 'requests/help.py', qualname: 'main', line: lineOf(help, 'indent=2'), endLine: lineOf(help, 'indent=2') },
        { file: 'requests/sessions.py', qualname: 'merge_setting', line: lineOf(before, 'if session_setting is None:'), endLine: lineOf(before, 'if session_setting is None:') },
        { file: 'requests/sessions.py', qualname: 'Session.send', line: lineOf(before, 'setdefault("stream"'), endLine: lineOf(before, 'setdefault("stream"') },
      ],
      skipped: [{ file: 'requests/extra.py', reason: 'created by the patch: no place to comment in the base tree' }],
    });
  });
});
