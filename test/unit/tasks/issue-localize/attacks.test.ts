import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import type { TestMap } from '../../../../src/testrun/test-map.js';
import { generateFromRows } from '../../../../src/tasks/issue-localize/from-rows.js';
import { functionMutants } from '../../../../src/tasks/issue-localize/mutate.js';
import { mutantPool } from '../../../../src/tasks/issue-localize/mutant-pool.js';
import { IssueLocalizeInstanceSchema, type IssueLocalizeInstance, type RowIssueInstance } from '../../../../src/tasks/issue-localize/schema.js';
import { REPO, STOCK, takeBugInstance } from './fixture-instance.js';
import { verifyIssueLocalize } from '../../../../src/tasks/issue-localize/verify.js';
import { issueWorkspace } from '../../../../src/tasks/issue-localize/workspace.js';
import { repoFiles } from '../../../../src/workspace/repo-cache.js';
import type { WorkspaceFiles } from '../../../../src/workspace/files.js';
import { readWorkspace } from '../../../../src/workspace/sandbox-workspace.js';
import type { Sandbox } from '../../../../src/sandbox/types.js';
import { leakSearchText } from '../../../../src/tasks/leak-text.js';
import { normalizeAnswerText } from '../../../../src/tasks/image-contents.js';
import { imageContentsFromManifest } from '../../../../src/env/image-check.js';
import { parseManifestOutput } from '../../../../src/image/manifest.js';

// Red team of issue-localize's verifier and generator, as an RL agent (or a repository) would
// attack them. A hole that still works is `it.fails(...)` with a comment saying what it is and how
// to close it (the suite stays green; the hole stays visible); attacks that are stopped are `it(...)`.
// Docker-level attacks (leaks inside the sandbox) are in test/integration/adversarial/issue-localize-attacks.test.ts.


const instance = (extra: Record<string, unknown> = {}): IssueLocalizeInstance => takeBugInstance('il-attack', extra);

type Details = { violations: Array<{ kind: string }>; offTarget: string[]; compileError?: { message: string }; comments: Array<{ line: number; target: string | null; place: string }> };
const details = (r: { details: unknown }): Details => r.details as Details;

/** Verify the instance's workspace with `edit` applied to the text of `file` (the gold file by default). */
async function verifyEdit(edit: (text: string) => string, inst = instance(), file = STOCK) {
  const files = new Map(await issueWorkspace(inst));
  files.set(file, Buffer.from(edit(files.get(file)!.toString('utf8')), 'utf8'));
  return verifyIssueLocalize(inst, files);
}

const HAS_PYTHON = spawnSync('python3', ['-c', 'pass']).status === 0;

/** What CPython makes of a source: its AST dump, or the error it raises (python3 of the host; '' without one). */
function pythonAst(source: string): string {
  if (!HAS_PYTHON) return '';
  try {
    return execFileSync('python3', ['-c', 'import ast, sys; print(ast.dump(ast.parse(sys.stdin.buffer.read())))'], { input: source, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    return `error: ${String((e as { stderr?: string }).stderr ?? e)}`;
  }
}

const HAVE = '    have = levels.get(item, 0)\n';


/** An issue row of a clone holding one file, `base` at its base commit, and the patch to `fixed`. */
async function oneFileRow(name: string, path: string, base: string, fixed: string, problem: string): Promise<RowIssueInstance> {
  const root = mkdtempSync(join(tmpdir(), 'hg-il-rows-'));
  const clone = join(root, `acme__${name}`);
  mkdirSync(join(clone, dirname(path)), { recursive: true });
  const git = (...args: string[]) => execFileSync('git', ['-C', clone, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' });
  git('init', '-q');
  writeFileSync(join(clone, path), base);
  git('add', '-A');
  git('commit', '-qm', 'base');
  const sha = git('rev-parse', 'HEAD').trim();
  writeFileSync(join(clone, path), fixed);
  const issues = join(root, 'rows.jsonl');
  writeFileSync(issues, `${JSON.stringify({ instance_id: `acme__${name}-1`, repo: `acme/${name}`, base_commit: sha, patch: git('diff'), problem_statement: problem })}\n`);
  const [row] = await generateFromRows({ issues, reposDir: root });
  return row!;
}

describe('issue-localize attacks: code changes that look like comments', () => {
  // WAS A HOLE (closed by the owner: verify.ts now refuses a source-form change; kept as a regression):
  // a lone carriage return ends a line for CPython (its tokenizer reads \r, \r\n and \n as
  // newlines) but not for tree-sitter, whose comment token runs to \n. So `# note\r    have = amount`
  // is ONE comment to the verifier and a comment plus a new statement to Python: arbitrary code
  // rides in "comments" with reward 1 (here it even changes what `take` does). The pure compile
  // check sees nothing wrong either. func-gen already guards this (sourceFormChange /
  // plainSource's loneCarriageReturns in src/tasks/func-gen/source-form.ts). Fix: in
  // verifyIssueLocalize, reject a final file whose source form changed (sourceFormChange(before,
  // after) !== null, or any `\r` not followed by `\n` that the start did not have) as code-changed;
  // better in commentView/diffComments for every comment-only task (dep-search, func-localize share it).
  it('a lone CR inside a trailing comment hides a statement (Python runs it)', async () => {
    const edit = (s: string) => s.replace(HAVE, '    have = levels.get(item, 0)  # the bug is below\r    have = amount\n');
    const start = (await issueWorkspace(instance())).get(STOCK)!.toString('utf8');
    if (HAS_PYTHON) expect(pythonAst(edit(start))).not.toBe(pythonAst(start)); // CPython sees a new statement
    const r = await verifyEdit(edit);
    expect(r.reward).toBe(0);
  });

  // WAS A HOLE (closed, regression): the same with the comment on its own line.
  it('a lone CR inside an own-line comment hides a statement', async () => {
    const edit = (s: string) => s.replace(HAVE, `${HAVE}    # look here\r    levels.clear()\n`);
    const start = (await issueWorkspace(instance())).get(STOCK)!.toString('utf8');
    if (HAS_PYTHON) expect(pythonAst(edit(start))).not.toBe(pythonAst(start));
    expect((await verifyEdit(edit)).reward).toBe(0);
  });

  // Characters that end a line for JavaScript or Unicode but not for CPython stay inside the
  // comment for both: no code is hidden, and the comment is a plain hit.
  it.each([
    ['form feed', '\f'],
    ['vertical tab', '\v'],
    ['NEL', '\u0085'],
    ['LINE SEPARATOR', '\u2028'],
  ])('a %s inside a comment hides nothing (CPython agrees it is one comment)', async (_what, ch) => {
    const edit = (s: string) => s.replace(HAVE, `    have = levels.get(item, 0)  # note${ch}    have = amount\n`);
    const start = (await issueWorkspace(instance())).get(STOCK)!.toString('utf8');
    expect(pythonAst(edit(start))).toBe(pythonAst(start));
    expect((await verifyEdit(edit)).reward).toBe(1);
  });

  it.each([
    ['a comment line after a backslash continuation (CPython: invalid syntax)', (s: string) => s.replace('    levels[item] = have - amount\n', '    levels[item] = have - \\\n# here\n        amount\n')],
    ['a `#` inside an f-string replacement field (3.12 syntax; the image runs 3.11)', (s: string) => s.replace('f"only {have} of', 'f"only {have # here\n} of')],
    ['a NUL byte inside a comment', (s: string) => s.replace(HAVE, `${HAVE}    # here\0\n`)],
    ['a backslash at the end of the file', (s: string) => `${s.replace(HAVE, `${HAVE}    # here\n`)}\\\n`],
    ['a tab-indented line beside space-indented ones (TabError)', (s: string) => s.replace('        raise ValueError(f"only {have} of {item} left")\n', '    # here\n\traise ValueError(f"only {have} of {item} left")\n')],
    ['a form feed in the indentation that unindents for CPython', (s: string) => s.replace('        raise ValueError(f"only {have} of {item} left")\n', '    # here\n    \f    raise ValueError(f"only {have} of {item} left")\n')],
    ['a form feed that breaks the indentation', (s: string) => s.replace('    levels[item] = have - amount\n', '    # here\n  \f  levels[item] = have - amount\n')],
    ['a semicolon after a statement', (s: string) => s.replace('    levels[item] = have - amount\n', '    levels[item] = have - amount;  # here\n')],
    ['a comment written inside the docstring', (s: string) => s.replace('refusing to go below zero."""', 'refusing to go below zero.  # here"""')],
  ])('%s scores 0', async (_what, edit) => {
    const r = await verifyEdit(edit);
    expect(r.reward).toBe(0);
    expect(details(r).violations.length > 0 || details(r).compileError !== undefined).toBe(true);
  });

  // CPython reads an ASCII file the same under a latin-1 declaration: accepting it as one more
  // off-target comment and refusing it (a changed source form) are both safe.
  it('a latin-1 coding declaration on an ASCII file: one more off-target comment, or refused', async () => {
    const inst = instance();
    const prices = 'inventory/prices.py';
    const after = new Map(await issueWorkspace(inst));
    after.set(STOCK, Buffer.from(after.get(STOCK)!.toString('utf8').replace(HAVE, `${HAVE}    # here\n`)));
    after.set(prices, Buffer.from(`# -*- coding: latin-1 -*-\n${after.get(prices)!.toString('utf8')}`));
    const r = await verifyIssueLocalize(inst, after);
    if (r.reward === 1) expect(details(r).offTarget).toEqual(['inventory/prices.py::<module>']);
    else expect(details(r).violations.length).toBeGreaterThan(0);
  });

  it('type comments are comments: harmless, and counted like any other', async () => {
    const r = await verifyEdit((s) => s.replace(HAVE, '    have = levels.get(item, 0)  # type: int\n'));
    expect(r.reward).toBe(1);
    const off = await verifyEdit((s) => s.replace('def restock(levels, item, amount):\n', 'def restock(levels, item, amount):  # type: (dict, str, int) -> int\n'));
    expect(off.reward).toBe(0);
    expect(details(off).offTarget).toEqual(['inventory/stock.py::restock']);
  });
});

describe('issue-localize attacks: scoring games', () => {
  /** Lines (0-based) of the stock file that start a `def`. */
  const defRows = async (): Promise<number[]> =>
    (await issueWorkspace(instance())).get(STOCK)!.toString('utf8').split('\n').flatMap((l, i) => (/^def /.test(l) ? [i] : []));

  it('comments on the blank lines between functions count for the next function: blanketing them fails', async () => {
    const rows = await defRows();
    const r = await verifyEdit((s) => {
      const lines = s.split('\n');
      for (const row of [...rows].sort((a, b) => b - a)) lines.splice(row - 1, 0, '# suspect');
      return lines.join('\n');
    });
    expect(r.success).toBe(false);
    expect(details(r).offTarget).toHaveLength(rows.length - 1);
  });

  it('a comment at the end of the file counts for the last function, not for the module or every function', async () => {
    const r = await verifyEdit((s) => `${s.replace(/\n*$/, '\n')}# the bug is somewhere above\n`);
    expect(r.success).toBe(false);
    expect(details(r).offTarget).toEqual(['inventory/stock.py::stock_report']);
  });

  it('hundreds of comments in non-gold functions are still one place each, and fail beyond the cap', async () => {
    const r = await verifyEdit((s) => {
      let out = s.replace(HAVE, `${HAVE}    # here\n`);
      for (const fn of ['restock', 'low_items', 'total_units']) out = out.replace(`def ${fn}(`, `${'# x\n'.repeat(200)}def ${fn}(`);
      return out;
    });
    expect(r.success).toBe(false);
    expect(details(r).offTarget).toHaveLength(3);
  });

  it('one comment line per function plus the gold one: more places than the cap fail', async () => {
    const rows = await defRows();
    const r = await verifyEdit((s) => {
      const lines = s.split('\n');
      for (const row of [...rows].sort((a, b) => b - a)) lines.splice(row + 1, 0, '    # maybe');
      return lines.join('\n');
    });
    expect(r.success).toBe(false);
  });

  it('comments written only outside any function (module level of every file) never hit a function', async () => {
    const inst = instance();
    const files = new Map(await issueWorkspace(inst));
    for (const [f, c] of files) if (f.endsWith('.py')) files.set(f, Buffer.from(`# issue here?\n${c.toString('utf8')}`));
    const r = await verifyIssueLocalize(inst, files);
    expect(r.success).toBe(false);
  });

  it('editing a comment in, then reverting it, leaves nothing to score', async () => {
    const r = await verifyEdit((s) => s.replace(HAVE, `${HAVE}    # here\n`).replace(`${HAVE}    # here\n`, HAVE));
    expect(r.reward).toBe(0);
  });

  it('a BOM or CRLF line endings with the comment change nothing the verifier scores wrongly', async () => {
    const bom = await verifyEdit((s) => `\ufeff${s.replace(HAVE, `${HAVE}    # here\n`)}`);
    expect(bom.reward).toBe(1);
    const crlf = await verifyEdit((s) => s.replace(HAVE, `${HAVE}    # here\n`).replace(/\n/g, '\r\n'));
    expect(crlf.reward).toBe(1);
    const crlfOff = await verifyEdit((s) => s.replace('def restock(', '# here\ndef restock(').replace(/\n/g, '\r\n'));
    expect(crlfOff.reward).toBe(0);
  });

  it('a file made undecodable, or a code line turned into a comment, scores 0', async () => {
    const inst = instance();
    const files = new Map(await issueWorkspace(inst));
    files.set(STOCK, Buffer.concat([Buffer.from(files.get(STOCK)!.toString('utf8').replace(HAVE, `${HAVE}    # here \xff\n`), 'latin1')]));
    expect((await verifyIssueLocalize(inst, files)).reward).toBe(0);
    expect((await verifyEdit((s) => s.replace('    levels[item] = have - amount\n', '    # levels[item] = have - amount  # here\n'))).reward).toBe(0);
  });
});

/** A repository on disk with these files. */
function tempRepo(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'hg-il-attack-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

describe('issue-localize attacks: classes, decorators and nested definitions', () => {
  const SRC = [
    'import functools',
    '',
    '',
    'def deco(f):',
    '    @functools.wraps(f)',
    '    def inner(*a):',
    '        return f(*a)',
    '    return inner',
    '',
    '',
    'class Store:',
    '    """A store."""',
    '',
    '    limit = 3',
    '',
    '    def __init__(self):',
    '        self.items = {}',
    '',
    '    @deco',
    '    @deco',
    '    def put(self, k, v):',
    '        if len(self.items) > self.limit:',
    '            raise ValueError(k)',
    '        self.items[k] = v',
    '',
    '    def get(self, k):',
    '        return self.items[k]',
    '',
    '    def size(self):',
    '        return len(self.items)',
    '',
    '',
    'SIGN = "café"',
    '',
  ].join('\n');
  // The original; the instance's mutation makes line 22 `>=` in the workspace.
  const ORIGINAL_REPO = tempRepo({ 'store/core.py': SRC, 'tests/test_core.py': 'def test_x():\n    pass\n' });
  const inst = IssueLocalizeInstanceSchema.parse({
    id: 'il-store', task: 'issue-localize', repo: { path: ORIGINAL_REPO, name: 'store' }, seed: 0, source: 'synthetic',
    problemStatement: 'A test fails.', locations: [{ file: 'store/core.py', qualname: 'Store.put', line: 22, endLine: 22 }],
    mutation: { kind: 'off-by-one', file: 'store/core.py', qualname: 'Store.put', line: 22, endLine: 22, original: '        if len(self.items) > self.limit:', mutated: '        if len(self.items) >= self.limit:' },
    tests: ['tests/test_core.py::test_x'],
  });
  const at = async (edit: (lines: string[]) => void) => {
    const files = new Map(await issueWorkspace(inst));
    const lines = files.get('store/core.py')!.toString('utf8').split('\n');
    edit(lines);
    files.set('store/core.py', Buffer.from(lines.join('\n')));
    return verifyIssueLocalize(inst, files);
  };

  it('a comment between the gold method’s decorators hits it (it is the method’s own)', async () => {
    const r = await at((l) => l.splice(19, 0, '    # put() is wrong'));
    expect(r.success).toBe(true);
  });

  it('a comment in the class body (on the class line, on its attributes) is the class’s place, not a hit on its methods', async () => {
    for (const edit of [(l: string[]) => { l[10] = 'class Store:  # the bug is in here'; }, (l: string[]) => l.splice(13, 0, '    # here')]) {
      const r = await at(edit);
      expect(r.success).toBe(false);
      expect(details(r).offTarget).toEqual(['store/core.py::Store']);
    }
  });

  it('a comment in a nested function of another definition is that function’s place', async () => {
    const r = await at((l) => l.splice(6, 0, '        # here'));
    expect(r.success).toBe(false);
    expect(details(r).offTarget).toEqual(['store/core.py::deco.<locals>.inner']);
  });

  it('a coding declaration that re-decodes a UTF-8 file’s non-ASCII text is a code change', async () => {
    const files = new Map(await issueWorkspace(inst));
    const text = files.get('store/core.py')!.toString('utf8').replace('        if len(self.items) >= self.limit:', '        # here\n        if len(self.items) >= self.limit:');
    files.set('store/core.py', Buffer.from(`# -*- coding: latin-1 -*-\n${text}`, 'utf8'));
    const r = await verifyIssueLocalize(inst, files);
    expect(r.reward).toBe(0);
    expect(details(r).violations.length).toBeGreaterThan(0);
  });

  // WAS A HOLE (closed: a definition hit now needs the comment's innermost definition; regression):
  // a gold location whose innermost definition is a CLASS (a class attribute, a
  // base class, a class decorator: common in issue rows, e.g. Django's Meta options or field
  // defaults) becomes a target whose definition span is the whole class, and `hit` takes any
  // comment inside that span: a comment in ANY method of the class (here `size`, which the fix
  // does not touch) is a hit on a gold "function" and succeeds. The agent needs only the class, not
  // the place. Fix: a definition-span hit only when the comment's innermost definition IS the
  // target's (innermostDefinition(line) === the target's own def); nested methods are their own
  // places, as they are for off-target counting.
  it('a class-level gold line: a comment in any method of the class is a hit', async () => {
    const classGold = IssueLocalizeInstanceSchema.parse({ ...inst, locations: [{ file: 'store/core.py', qualname: 'Store', line: 14, endLine: 14 }] });
    const files = new Map(await issueWorkspace(classGold));
    const lines = files.get('store/core.py')!.toString('utf8').split('\n');
    lines.splice(29, 0, '        # here');
    files.set('store/core.py', Buffer.from(lines.join('\n')));
    const r = await verifyIssueLocalize(classGold, files);
    expect(details(r).comments[0]!.line).toBe(30); // in Store.size
    expect(r.success).toBe(false);
  });

  it('a comment on the blank line after the gold method counts for the next method', async () => {
    const r = await at((l) => l.splice(24, 0, '    # put() above is wrong'));
    expect(r.success).toBe(false);
    expect(details(r).offTarget).toEqual(['store/core.py::Store.get']);
  });
});

describe('issue-localize attacks: issue rows', () => {
  // WAS A HOLE (closed: one location per run of changed lines; regression): goldLocations gave a file that tree-sitter does not parse cleanly
  // (Python 2 print statements, syntax newer than the grammar) ONE location from its first changed
  // line to its last, with no definition. With no function target, any comment on any line of that
  // span is a hit and succeeds: for a patch touching the top and the bottom of such a file, one
  // comment in the middle, in a function the fix never touches, scores 1. Fix: keep one location
  // per run of adjacent changed lines (as `group` does) even without definitions, or drop the file
  // (or the row) when its base does not parse.
  it('a base file with a syntax error: a location per run of changed lines, so a comment between two changes does not succeed', async () => {
    const fns = Array.from({ length: 12 }, (_, k) => `def f${k}(x):\n    y = x + ${k}\n    return y\n\n`).join('');
    const base = `import sys\n\n\ndef legacy():\n    print "old style"\n\n\n${fns}`;
    const fixed = base.replace('    y = x + 0\n', '    y = x - 0\n').replace('    y = x + 11\n', '    y = x - 11\n');
    const row = await oneFileRow('legacy', 'pkg/mod.py', base, fixed, 'f0 and f11 add instead of subtracting');
    const files = new Map(await issueWorkspace(row));
    // One comment in f5: the fix changes f0 and f11 only.
    files.set('pkg/mod.py', Buffer.from(base.replace('def f5(x):\n', 'def f5(x):\n    # here\n')));
    const r = await verifyIssueLocalize(row, files);
    expect(r.success).toBe(false);
  });
});

describe('issue-localize attacks: line endings the start already has', () => {
  /** A synthetic instance on a one-file repository, its bug the generator's own mutant of `f`. */
  function onFile(source: string, pick: (m: ReturnType<typeof functionMutants>[number]) => boolean) {
    const root = tempRepo({ 'pkg/mod.py': source, 'tests/test_mod.py': 'def test_f():\n    pass\n' });
    const m = functionMutants(source, { qualname: 'f' }).find(pick)!;
    expect(m).toBeDefined();
    const inst = IssueLocalizeInstanceSchema.parse({
      id: 'il-eol', task: 'issue-localize', repo: { path: root, name: 'eol' }, seed: 0, source: 'synthetic', problemStatement: 'f is wrong',
      locations: [{ file: 'pkg/mod.py', qualname: 'f', line: m.line, endLine: m.endLine }],
      mutation: { kind: m.kind, file: 'pkg/mod.py', qualname: 'f', line: m.line, endLine: m.endLine, original: m.original, mutated: m.mutated },
      tests: ['tests/test_mod.py::test_f'],
    });
    return { inst, m };
  }

  // WAS A HOLE (closed: applyMutation splits on '\n' and keeps each line's '\r'; regression): applyMutation split the file on '\r\n' as soon as ONE line ends with
  // CRLF, while the generator (mutate.ts) counts rows on '\n'. A file with mixed endings (mostly
  // LF, one CRLF line above the bug: common after a Windows edit) passes plainSource (no lone CR),
  // so the generator emits the instance, and every reset then throws StaleInstanceError ("no
  // longer holds ... the lines the bug replaces"). Fix: split on '\n' and keep each line's '\r' (as
  // mutate.ts does), or have the generator round-trip issueWorkspace before emitting an instance.
  it('a file with one CRLF line among LF lines: the workspace of the generator’s own mutant is built', async () => {
    const source = 'import os\r\n\n\ndef f(x):\n    y = x + 1\n    return y\n';
    const { inst, m } = onFile(source, (k) => k.kind === 'off-by-one');
    const files = await issueWorkspace(inst);
    expect(files.get('pkg/mod.py')!.toString('utf8')).toBe(m.source);
  });

  // WAS A HOLE (closed: sourceFormChange counts lone CRs, none may be added; regression): a file that already holds a lone
  // CR (here a raw CR inside a triple-quoted string, which CPython reads as a newline in the value)
  // lets the agent add more lone CRs, each hiding a statement in a "comment": a check of the form
  // "the final file has lone CRs and the start had none" (sourceFormChange) lets this through.
  // Fix: no lone CR may be added (count them, or require each of the final file's lone CRs to be
  // one of the start's, in the same string), or refuse any added comment holding a '\r'.
  it('a start that already has a lone CR: a new lone CR inside a comment that hides a statement scores 0', async () => {
    const source = 'NOTE = """line one\rline two"""\n\n\ndef f(x):\n    y = x + 1\n    return y\n';
    const { inst } = onFile(source, (k) => k.kind === 'off-by-one');
    const start = (await issueWorkspace(inst)).get('pkg/mod.py')!.toString('utf8');
    const hidden = start.replace(/(    y = x [^\n]*)\n/, '$1  # the bug is here\r    y = -y\n');
    expect(hidden).not.toBe(start);
    if (HAS_PYTHON) expect(pythonAst(hidden)).not.toBe(pythonAst(start));
    const files = new Map(await issueWorkspace(inst));
    files.set('pkg/mod.py', Buffer.from(hidden));
    const r = await verifyIssueLocalize(inst, files);
    expect(r.reward).toBe(0);
  });
});

describe('issue-localize attacks: generation from repository content', () => {
  const testMap = (file: string, qualname: string, line: number): TestMap =>
    ({ functions: [{ file, qualname, line, tests: ['tests/test_stock.py::test_take_removes'] }] }) as unknown as TestMap;
  const poolOf = async (files: WorkspaceFiles) => {
    const dropped: string[] = [];
    const pool = await mutantPool(files, testMap(STOCK, 'take', 14), { seed: 0, kinds: ['flip-comparison', 'off-by-one', 'drop-statement'], minLines: 3, maxLines: 150, maxTests: 10 }, (reason, where) => dropped.push(`${reason}: ${where}`));
    return { pool, dropped };
  };

  it('a text copy of the function elsewhere in the repository (build/lib) drops it', async () => {
    const files = new Map(await repoFiles(REPO));
    files.set('build/lib/inventory/stock.py', files.get(STOCK)!);
    const { pool, dropped } = await poolOf(files);
    expect(pool.queue).toHaveLength(0);
    expect(dropped.join('\n')).toMatch(/elsewhere in the repository/);
  });

  // WAS A HOLE for gzip (closed: leak-text.ts inflates gzip; regression; zip and plain tar below are
  // still open): the copy check skipped every file holding a NUL byte and reads the rest as plain text, so an
  // archive of the package in the repository (dist/*.tar.gz from `python -m build`, a wheel, an
  // .egg, a vendored .zip) keeps the original source out of its sight. The workspace holds every
  // file of the repository (ignored ones included), the sandbox has tar/unzip/python: the agent
  // unpacks the archive and `diff`s it against the tree, which names the mutated line exactly.
  // Fix: drop (or refuse) instances from repositories whose files include archives that hold
  // Python sources (look inside tar/zip/gz the way CopyCheck reads text), or keep archives and
  // binary files out of synthetic workspaces (dist/, build/, *.whl, *.egg, *.tar*, *.zip).
  it('a source archive in the repository (dist/*.tar.gz) holds the original, yet the function is kept', async () => {
    const files = new Map(await repoFiles(REPO));
    const pack = tar.pack();
    pack.entry({ name: 'inventory-0.1/inventory/stock.py' }, files.get(STOCK)!);
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    files.set('dist/inventory-0.1.tar.gz', gzipSync(Buffer.concat(chunks)));
    const { pool } = await poolOf(files);
    expect(pool.queue).toHaveLength(0);
  });

  /** A zip archive (a wheel) of one file, deflated, as `python -m build --wheel` writes it. */
  function zipOf(name: string, data: Buffer): Buffer {
    const body = deflateRawSync(data);
    const n = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14); local.writeUInt32LE(body.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16); central.writeUInt32LE(body.length, 20); central.writeUInt32LE(data.length, 24); central.writeUInt16LE(n.length, 28);
    const end = Buffer.alloc(22);
    const cdStart = local.length + n.length + body.length;
    end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10); end.writeUInt32LE(central.length + n.length, 12); end.writeUInt32LE(cdStart, 16);
    return Buffer.concat([local, n, body, central, n, end]);
  }
  const tarOf = async (name: string, data: Buffer): Promise<Buffer> => {
    const pack = tar.pack();
    pack.entry({ name }, data);
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };

  // WAS A HOLE (closed: leakSearchText inflates zip members and searches plain tars as stored; regression): the same with a wheel (a zip archive, deflated: `python -m build` leaves one in dist/),
  // an .egg or a vendored .zip — and with a plain, uncompressed .tar, whose bytes hold the source
  // as it is but also NUL padding, so the copy check skips it as binary. `unzip`/`tar`/python's
  // zipfile are in the sandbox. Fix: search zip members (inflate each), plain tar members, and
  // bz2/xz streams as well; or keep archives out of synthetic workspaces altogether.
  it.each([
    ['a wheel (zip)', async (src: Buffer) => ['dist/inventory-0.1-py3-none-any.whl', zipOf('inventory/stock.py', src)] as const],
    ['an uncompressed tar', async (src: Buffer) => ['dist/inventory-0.1.tar', await tarOf('inventory-0.1/inventory/stock.py', src)] as const],
  ])('%s in the repository holds the original: the function is dropped', async (_what, make) => {
    const files = new Map(await repoFiles(REPO));
    const [path, bytes] = await make(files.get(STOCK)!);
    files.set(path, bytes);
    // The archive is a real one: python's zipfile / tarfile read the original back (when python3 is here).
    if (HAS_PYTHON) {
      const script = path.endsWith('.whl') ? 'import io,sys,zipfile; z=zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())); sys.stdout.write(z.read(z.namelist()[0]).decode())' : 'import io,sys,tarfile; t=tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read())); sys.stdout.write(t.extractfile(t.getmembers()[0]).read().decode())';
      expect(execFileSync('python3', ['-c', script], { input: bytes, encoding: 'utf8' })).toBe(files.get(STOCK)!.toString('utf8'));
    }
    const { pool } = await poolOf(files);
    expect(pool.queue).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Red team, round after the hardening of 68a4836..06eeb93 (final read of special entries, leak
// search of binaries and archives, the image's other versions of a module, comment placing).
// ---------------------------------------------------------------------------------------------

/** A stand-in sandbox whose workdir archive (as Docker's GET /archive gives it) is built by `fill`. */
function archiveSandbox(fill: (pack: tar.Pack) => void): Sandbox {
  const pack = tar.pack();
  pack.entry({ name: 'workspace/', type: 'directory' });
  fill(pack);
  pack.finalize();
  return { id: 'fake', workdir: '/workspace', archiveOut: async () => pack as unknown as Readable, isAlive: async () => true } as unknown as Sandbox;
}

describe('issue-localize attacks round 2: what the final read sees', () => {
  // WAS A HOLE (closed: hard links resolve to the markers of special entries, hidden ones included; regression) (new code, b74168a): a symlink, FIFO or device is now a marker file, but a HARD LINK to one
  // is read through `regular`, which holds regular files only. Docker's archive gives the first
  // name of an inode as itself and every later name as a 'link' to it; when the first name is in an
  // ignored directory (`.git/`, `__pycache__/` sort before most names), the special entry is dropped
  // as hidden and the later, visible name is dropped because its target is not a regular file. So
  // `ln -s /etc/hostname .git/x && ln .git/x conftest.py` (GNU ln hard-links the symlink itself)
  // leaves a symlinked conftest.py the final read never sees: rule 1 ("no new files") is broken with
  // reward 1, the exact hole b74168a closed. (Docker repro in the adversarial integration test.)
  // Fix: in readArchive, remember every entry's marker by name (specialEntry for symlink/fifo/devices,
  // hidden or not) next to `regular`, and give a 'link' to it that marker; a 'link' whose target is
  // unknown should read as specialEntry('hard link') rather than vanish.
  it('a hard link to a symlink (or FIFO) whose first name is in .git/ or __pycache__/ is a file of the final read', async () => {
    const files = await readWorkspace(archiveSandbox((p) => {
      p.entry({ name: 'workspace/.git/', type: 'directory' });
      p.entry({ name: 'workspace/.git/x', type: 'symlink', linkname: '/etc/hostname' });
      p.entry({ name: 'workspace/__pycache__/', type: 'directory' });
      p.entry({ name: 'workspace/__pycache__/p', type: 'fifo' });
      p.entry({ name: 'workspace/a.py' }, 'x = 1\n');
      p.entry({ name: 'workspace/conftest.py', type: 'link', linkname: 'workspace/.git/x' });
      p.entry({ name: 'workspace/pipe.py', type: 'link', linkname: 'workspace/__pycache__/p' });
    }));
    expect([...files.keys()]).toEqual(['a.py', 'conftest.py', 'pipe.py']);
  });

  it('a plain symlink or FIFO, and a hard link to a regular file in .git/, are seen (regression of b74168a)', async () => {
    const files = await readWorkspace(archiveSandbox((p) => {
      p.entry({ name: 'workspace/.git/', type: 'directory' });
      p.entry({ name: 'workspace/.git/HEAD' }, 'ref: refs/heads/main\n');
      p.entry({ name: 'workspace/conftest.py', type: 'symlink', linkname: '/etc/hostname' });
      p.entry({ name: 'workspace/head.py', type: 'link', linkname: 'workspace/.git/HEAD' });
      p.entry({ name: 'workspace/pipe.py', type: 'fifo' });
    }));
    expect([...files.keys()]).toEqual(['conftest.py', 'head.py', 'pipe.py']);
    expect(files.get('conftest.py')![0]).toBe(0);
    expect(files.get('head.py')!.toString()).toBe('ref: refs/heads/main\n');
  });

  // FALSE NEGATIVE (new code, low): a real `.venv/`, `venv/` or `node_modules/` directory is hidden
  // from the final read, but a SYMLINK with that name (`ln -s /opt/venv .venv`, an agent reusing the
  // image's environment; pnpm/yarn link farms) is not in its own IGNORED_DIRS check (only parent
  // segments are tested), so it reads as a new file and an honest episode of every task scores 0
  // (every verifier refuses an added file). Fix: treat a special entry whose own name is in
  // IGNORED_DIRS (or ends in .egg-info) as hidden, as its directory would be.
  it('a symlink named like an ignored directory (.venv, node_modules) is as hidden as the directory', async () => {
    const files = await readWorkspace(archiveSandbox((p) => {
      p.entry({ name: 'workspace/.venv', type: 'symlink', linkname: '/opt/venv' });
      p.entry({ name: 'workspace/node_modules', type: 'symlink', linkname: '/usr/lib/node_modules' });
      p.entry({ name: 'workspace/a.py' }, 'x = 1\n');
    }));
    expect([...files.keys()]).toEqual(['a.py']);
  });
});

describe('issue-localize attacks round 2: archives the leak search does not open', () => {
  const SOURCE = 'def take(levels, item, amount):\n    have = levels.get(item, 0)\n    if amount > have:\n        raise ValueError(item)\n    levels[item] = have - amount\n    return levels[item]\n';
  const ANSWER = normalizeAnswerText('have = levels.get(item, 0)\n    if amount > have:\n        raise ValueError(item)');
  const found = (bytes: Buffer): boolean => leakSearchText(bytes).includes(ANSWER);

  /** A zip of these members (name, data, method: 8 deflate, 0 stored, or another with the data as given). */
  function zipMembers(members: Array<[string, Buffer, number?]>): Buffer {
    const locals: Buffer[] = [];
    const centrals: Buffer[] = [];
    let offset = 0;
    for (const [name, data, method = 8] of members) {
      const body = method === 8 ? deflateRawSync(data) : data;
      const n = Buffer.from(name);
      const crc = crc32(data);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(method, 8);
      local.writeUInt32LE(crc, 14); local.writeUInt32LE(body.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(n.length, 26);
      const central = Buffer.alloc(46);
      central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(method, 10);
      central.writeUInt32LE(crc, 16); central.writeUInt32LE(body.length, 20); central.writeUInt32LE(data.length, 24); central.writeUInt16LE(n.length, 28);
      central.writeUInt32LE(offset, 42);
      locals.push(local, n, body);
      centrals.push(central, n);
      offset += local.length + n.length + body.length;
    }
    const cd = Buffer.concat(centrals);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(members.length, 8); end.writeUInt16LE(members.length, 10); end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
    return Buffer.concat([...locals, cd, end]);
  }
  const zipWithPrefix = (prefix: string, zip: Buffer): Buffer => {
    // Offsets in a prepended zip stay relative to the zip (python's zipfile and unzip both allow it).
    return Buffer.concat([Buffer.from(prefix), zip]);
  };
  const tarGz = async (name: string, data: Buffer): Promise<Buffer> => {
    const pack = tar.pack();
    pack.entry({ name }, data);
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    return gzipSync(Buffer.concat(chunks));
  };

  it('a wheel, a .tar.gz and a plain file are searched (regression of 68a4836)', async () => {
    expect(found(zipMembers([['inventory/stock.py', Buffer.from(SOURCE)]]))).toBe(true);
    expect(found(await tarGz('inventory-0.1/inventory/stock.py', Buffer.from(SOURCE)))).toBe(true);
    expect(found(Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(SOURCE)]))).toBe(true);
  });

  // WAS A HOLE (closed; regression) (open, medium): isZip looks for the local-header magic at offset 0, but a zipapp
  // (`python -m zipapp -c`), a .pex or a shiv is a shebang line followed by a deflated zip, and a
  // self-extracting archive has a stub first. python runs and unzips them as they are (zipfile finds
  // the end record), so `unzip -p tool.pyz inventory/stock.py | diff - inventory/stock.py` names the
  // mutated line; the leak search reads the deflated bytes as stored and keeps the function.
  // Fix: find the zip by its end-of-central-directory record (search the last 64 KiB for
  // PK\x05\x06), as zipfile does, not by the first four bytes.
  it('a zipapp (.pyz/.pex: a shebang, then a deflated zip) holding the original is searched', async () => {
    const pyz = zipWithPrefix('#!/usr/bin/env python3\n', zipMembers([['__main__.py', Buffer.from('import inventory\n')], ['inventory/stock.py', Buffer.from(SOURCE)]]));
    if (HAS_PYTHON) {
      const read = 'import io,sys,zipfile; z=zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())); sys.stdout.write(z.read("inventory/stock.py").decode())';
      expect(execFileSync('python3', ['-c', read], { input: pyz, encoding: 'utf8' })).toBe(SOURCE);
    }
    expect(found(pyz)).toBe(true);
  });

  // WAS A HOLE (closed; regression) (open, medium): archives inside archives are searched one level deep: a wheel in a
  // .tar.gz (a vendored bundle), an sdist .tar.gz in a zip (a release bundle, a test-data zip), an
  // .egg inside a wheel's data. The inner archive's members are deflated again, so the search of
  // its bytes finds nothing; the agent unpacks twice and diffs. Fix: recurse into members that are
  // gzip/zip themselves (bounded depth and the same MAX_INFLATED budget overall).
  it('a wheel inside a .tar.gz, or a .tar.gz inside a zip, holding the original is searched', async () => {
    const wheelInTar = await tarGz('bundle/inventory-0.1-py3-none-any.whl', zipMembers([['inventory/stock.py', Buffer.from(SOURCE)]]));
    const tarInZip = zipMembers([['release/inventory-0.1.tar.gz', await tarGz('inventory-0.1/inventory/stock.py', Buffer.from(SOURCE))]]);
    expect([found(wheelInTar), found(tarInZip)]).toEqual([true, true]);
  });

  // WAS A HOLE (closed; regression) (open, low): one member fflate cannot inflate (bzip2 = 12, lzma = 14, zstd = 93: zipfile
  // writes them with -Z / ZIP_BZIP2 / ZIP_LZMA) makes unzipSync throw for the WHOLE archive, which
  // is then searched as stored: the plainly deflated member holding the original is missed. Fix:
  // unzip member by member (fflate's `filter` can skip unknown methods; or catch per member) and
  // keep what inflates.
  it('a zip whose other member uses a method fflate lacks still has its deflated member searched', () => {
    const zip = zipMembers([['data/blob.bin', Buffer.from('BZh91AY&SY not really bzip2'), 12], ['inventory/stock.py', Buffer.from(SOURCE)]]);
    expect(found(zip)).toBe(true);
  });

  // REGRESSION IN COST (new code, 68a4836): every binary is now decoded as UTF-8 and whitespace-
  // collapsed, and CopyCheck keeps every file's text for the whole pool. On this 2-core machine a
  // random 16 MiB file (an image, a model, a dataset) costs ~1.2 s, a 64 MiB one ~5.8 s, and the
  // cached strings take about twice the bytes (U+FFFD makes them two-byte strings); a repository
  // holding a few hundred MiB of data spends minutes and GiBs in the copy check of every generator
  // (func-gen, func-localize, issue-localize), and a single file over ~512 MiB throws
  // ERR_STRING_TOO_LONG out of leakSearchText (not caught): generation crashes. Fix: search binaries
  // as bytes (Buffer.indexOf of the answer's UTF-8, after collapsing only a bounded window), or skip
  // non-archive binaries over a size, and never toString a buffer past buffer.constants.MAX_STRING_LENGTH.
  it('a 16 MiB binary that is not an archive is not decoded as text (a 3 MiB one still is)', () => {
    expect(leakSearchText(randomBytes(16 << 20))).toBe('');
    const small = Buffer.concat([randomBytes(3 << 20).map((b) => (b === 0 ? 0 : b & 0x7f)), Buffer.from('\0' + SOURCE)]);
    expect(found(small)).toBe(true);
  });

  it('a gzip bomb is not inflated past the cap (searched as stored instead, no crash)', () => {
    const bomb = gzipSync(Buffer.alloc(300 * 1024 * 1024));
    const t = performance.now();
    expect(() => leakSearchText(bomb)).not.toThrow();
    expect(performance.now() - t).toBeLessThan(20_000);
  }, 60_000);
});

describe('issue-localize attacks round 2: the image’s other versions of a module (definitionIn)', () => {
  const manifestOf = (paths: Array<[string, string[]]>) =>
    imageContentsFromManifest(parseManifestOutput(
      [JSON.stringify({ python: '3.11.2' }), ...paths.map(([path, names]) => JSON.stringify({ path, size: 1, sha256: 'a'.repeat(64), defs: names.map((n, i) => [n, i + 1, null, null]) })), ''].join('\n'),
      { imageId: 'sha256:' + 'd'.repeat(64), image: 'img', durationMs: 1 },
    ));

  // FALSE POSITIVE (new code, 06eeb93, medium for script-style and flat-layout repositories): a
  // repository file at the top level (or under src/ or lib/) has a one-segment tail, `/utils.py`,
  // which ANY image module of that name ends with: an unrelated package's utils.py (or main.py,
  // compat.py, cli.py) that happens to define the same name drops the target as "a copy of its
  // module". The default image already has 3 main.py files defining `main` and 4 utils.py; a
  // richer image (the host's: 143 utils.py, 9 cli.py defining main/parse_args/run/get) drops most of
  // such a repository. A diff against an unrelated module shows nothing. Fix: for a one-segment
  // tail, require more than the name (the module's other qualnames mostly shared, its top-level
  // package unknown to the repository, or the body's near-equality), or match only a
  // site-packages/dist-packages top level (`.../site-packages/utils.py`).
  it('an unrelated package’s utils.py defining the same name does not drop a top-level utils.py', () => {
    const c = manifestOf([['/usr/lib/python3/dist-packages/pip/_internal/utils.py', ['to_str', 'ensure_dir']], ['/usr/lib/python3/dist-packages/foo/main.py', ['main']]]);
    expect(c.definitionIn?.('utils.py', 'to_str')).toBeUndefined();
    expect(c.definitionIn?.('src/main.py', 'main')).toBeUndefined();
  });

  // MISS (new code, low): only a leading `src/` or `lib/` is stripped, so common layouts whose
  // package sits under another folder (`python/pkg/`, `py/pkg/`, a monorepo's `packages/x/pkg/`,
  // `src/python/pkg/`) never match the installed `site-packages/pkg/mod.py`, and the function stays
  // with its other version in the image. Fix: match by the longest tail that starts at a directory
  // holding an __init__.py (the package root), not by fixed prefixes.
  it('an installed release of pkg/mod.py is found for a repository that keeps pkg under python/', () => {
    const c = manifestOf([['/usr/local/lib/python3.11/site-packages/pkg/mod.py', ['f']]]);
    expect(c.definitionIn?.('pkg/mod.py', 'f')).toBe('/usr/local/lib/python3.11/site-packages/pkg/mod.py'); // held
    expect(c.definitionIn?.('python/pkg/mod.py', 'f')).toBe('/usr/local/lib/python3.11/site-packages/pkg/mod.py');
  });

  it('in the pool: a top-level module whose name an unrelated image module shares is kept; a real copy of its package is dropped', async () => {
    const src = 'def to_str(x):\n    if x is None:\n        return ""\n    return str(x)\n';
    const files: WorkspaceFiles = new Map([['utils.py', Buffer.from(src)], ['tests/test_utils.py', Buffer.from('from utils import to_str\n\ndef test_to_str():\n    assert to_str(None) == ""\n')]]);
    const map = { functions: [{ file: 'utils.py', qualname: 'to_str', line: 1, tests: ['tests/test_utils.py::test_to_str'] }] } as unknown as TestMap;
    const dropped: string[] = [];
    const imageContents = manifestOf([['/usr/lib/python3/dist-packages/somethingelse/utils.py', ['to_str']]]);
    const pool = await mutantPool(files, map, { seed: 0, kinds: ['flip-comparison', 'change-return'], minLines: 3, maxLines: 150, maxTests: 10, imageContents }, (reason, where) => dropped.push(`${reason}: ${where}`));
    expect(pool.queue.length).toBeGreaterThan(0);
    expect(dropped).toEqual([]);
    const inPackage: WorkspaceFiles = new Map([['somethingelse/utils.py', Buffer.from(src)], ['tests/test_utils.py', files.get('tests/test_utils.py')!]]);
    const pkgMap = { functions: [{ ...map.functions[0]!, file: 'somethingelse/utils.py' }] } as unknown as TestMap;
    const again = await mutantPool(inPackage, pkgMap, { seed: 0, kinds: ['flip-comparison', 'change-return'], minLines: 3, maxLines: 150, maxTests: 10, imageContents }, (reason, where) => dropped.push(`${reason}: ${where}`));
    expect(again.queue).toHaveLength(0);
    expect(dropped.join('\n')).toMatch(/a copy of its module.*somethingelse\/utils\.py/);
  });
});

describe('issue-localize attacks round 2: where an honest comment is placed (comment-diff.ts)', () => {
  const LINES = [
    'import os', '', '', 'def other(x):', '    return x', '', '', 'def f(items, limit):', '    total = 0', '    for it in items:',
    '        try:', '            v = int(it)', '        except ValueError:', '            continue', '        if v > limit:',
    '            total += limit', '        elif v < 0:', '            total -= 1', '        else:', '            total += v',
    '    result = dict(', '        total=total,', '        limit=limit,', '    )', '    return result', '', '', 'def after(y):', '    return y', '',
  ];
  const make = (tabs: boolean) => {
    const src = LINES.map((l) => (tabs ? l.replace(/^( {4})+/, (m) => '\t'.repeat(m.length / 4)) : l)).join('\n');
    const root = tempRepo({ 'pkg/mod.py': src, 'tests/test_mod.py': 'def test_f():\n    pass\n' });
    const original = tabs ? '\t\tif v > limit:' : '        if v > limit:';
    return IssueLocalizeInstanceSchema.parse({
      id: `il-place-${tabs}`, task: 'issue-localize', repo: { path: root, name: 'place' }, seed: 0, source: 'synthetic', problemStatement: 'f is wrong',
      locations: [{ file: 'pkg/mod.py', qualname: 'f', line: 15, endLine: 15 }],
      mutation: { kind: 'flip-comparison', file: 'pkg/mod.py', qualname: 'f', line: 15, endLine: 15, original, mutated: original.replace('>', '<=') },
      tests: ['tests/test_mod.py::test_f'],
    });
  };
  /** Insert `comment` as a line before 1-based line `before` (or append `  # ...` to it with `end`). */
  const score = async (inst: IssueLocalizeInstance, before: number, comment: string, end = false) => {
    const files = new Map(await issueWorkspace(inst));
    const lines = files.get('pkg/mod.py')!.toString('utf8').split('\n');
    if (end) lines[before - 1] += comment;
    else lines.splice(before - 1, 0, comment);
    files.set('pkg/mod.py', Buffer.from(lines.join('\n')));
    const r = await verifyIssueLocalize(inst, files);
    return { success: r.success, place: details(r).comments.map((c) => `${c.line}:${c.place}`).join(',') };
  };

  it('above the gold line, at its end, under its body, above a dedented elif/except, inside brackets, after the last line, with tabs either way: a hit on f', async () => {
    const spaces = make(false);
    const tabs = make(true);
    const cases: Array<[IssueLocalizeInstance, number, string, boolean?]> = [
      [spaces, 15, '        # the comparison is wrong'],
      [spaces, 15, '  # wrong', true],
      [spaces, 17, '            # the branch above adds the limit'], // deeper than the elif: the line above
      [spaces, 17, '        # the branch above is wrong'], // at the elif's depth: the elif
      [spaces, 13, '            # except below'],
      [spaces, 24, '        # the dict above'], // before a dedented closing bracket
      [spaces, 26, '    # the bug is above'], // after the function's last line
      [spaces, 12, '\t\t\t# a tab-indented comment in a space-indented file'],
      [tabs, 15, '        # spaces in a tab-indented file'],
      [tabs, 15, '\t\t# tabs'],
      [tabs, 26, '\t# after the last line, tab-indented'],
    ];
    const out = [];
    for (const [inst, line, comment, end] of cases) out.push({ comment, ...(await score(inst, line, comment, end)) });
    expect(out.filter((o) => !o.success)).toEqual([]);
  });

  it('a comment indented into the function above a top-level def is the function above’s (documented rule), not the def below', async () => {
    const r = await score(make(false), 8, '    # f below is wrong');
    expect(r).toEqual({ success: false, place: '5:pkg/mod.py::other' });
  });
});

describe('issue-localize attacks round 2: lone carriage returns moved, not added', () => {
  // WAS A HOLE (closed; regression) (open, low: no reward gain while nothing runs the final files, but it is the smuggling
  // 68a4836 meant to close): sourceFormChange counts lone CRs, so a file holding one in the
  // whitespace between tokens (`(1,\r 2)`: CPython reads a newline inside brackets, tree-sitter a
  // space; a row's base commit can hold one in any file, old Mac line endings) lets the agent MOVE
  // it: the old one becomes a space (a formatting change, same tokens), a new one goes into a comment
  // and ends it for CPython, which then runs what follows. Same count, same tokens: reward 1 with a
  // statement CPython runs (one off-target place for the file). Fix: refuse an added comment whose
  // text holds a '\r' (tree-sitter's comment runs to '\n', so a '\r' in it is a line break CPython
  // sees), or compare the lone CRs' places (token index and offset), not their number.
  it('a lone CR moved from bracket whitespace into a comment (same count) scores 0', async () => {
    const gold = 'def f(x):\n    y = x + 1\n    return y\n';
    const consts = 'SIZES = (1,\r 2)\n\n\ndef g():\n    return SIZES\n';
    const clone = tempRepo({ 'pkg/mod.py': gold, 'pkg/consts.py': consts });
    const git = (...args: string[]) => execFileSync('git', ['-C', clone, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'base');
    const inst = IssueLocalizeInstanceSchema.parse({
      id: 'il-cr-move', task: 'issue-localize', repo: { path: clone, name: 'cr' }, seed: 0, source: 'issue', instanceId: 'acme__cr-1', baseCommit: git('rev-parse', 'HEAD').trim(),
      problemStatement: 'f adds one too many', locations: [{ file: 'pkg/mod.py', qualname: 'f', line: 2, endLine: 2 }],
    });
    const hidden = consts.replace('(1,\r 2)', '(1, 2)').replace('    return SIZES\n', '    return SIZES  # fine\r    import os; os.system("id")\n');
    if (HAS_PYTHON) expect(pythonAst(hidden)).not.toBe(pythonAst(consts)); // CPython sees a new statement
    const final = new Map(await issueWorkspace(inst));
    final.set('pkg/mod.py', Buffer.from(gold.replace('    y = x + 1\n', '    y = x + 1  # here\n')));
    final.set('pkg/consts.py', Buffer.from(hidden));
    const r = await verifyIssueLocalize(inst, final);
    expect(r.reward).toBe(0);
  });
});

describe('issue-localize attacks round 2: gold lines widened to the statement holding them (regions.ts statementStart)', () => {
  // WAS A HOLE (closed: statementStart widens through a compound statement's header only, and a span of blank lines
  // reaches the code lines around it; regression), high for issue rows, the class-level hole 37cc99a closed, back through the hunks:
  // a patch that ADDS a method at the end of a class (the commonest SWE-bench shape: "add X to
  // Store") gives the blank line above the insertion as a class-level location (qualname `Store`)
  // and the next `def` as another. statementStart widens a gold line "up to the start of the
  // statement holding it"; a blank line between methods is held by no statement but the
  // class_definition itself, so the class target's hunk becomes line 1 (`class Store:`) .. the blank
  // line: every method above it. The hunk test comes before the innermost-definition test in
  // verify.ts, so one comment in ANY earlier method (m0, which the fix never touches) is a hit on a
  // qualnamed target and succeeds with reward 1: the agent needs the class, not the place. The same
  // at module level: a blank line inside `if TYPE_CHECKING:` / `try: ... except ImportError:` widens
  // a module target over every function of the block. Fix: in statementStart, widen only to a node
  // whose header (not its `block` body) holds the line, so a blank or comment line in a body stays
  // itself; or cap the widening at the line's innermost definition (never above the first line of
  // a definition that is not the location's own).
  it('a row adding a method at the end of a class: a comment in another method of the class does not succeed; one at the gap does', async () => {
    const meths = Array.from({ length: 8 }, (_, k) => `    def m${k}(self, x):\n        y = x + ${k}\n        return y\n`).join('\n');
    const base = `class Store:\n    """A store."""\n\n${meths}\n    def last(self):\n        return 0\n`;
    const fixed = base.replace('    def last(self):', '    def added(self):\n        return 1\n\n    def last(self):');
    const row = await oneFileRow('store', 'pkg/store.py', base, fixed, 'Store has no way to add');
    // A class-level location on the blank line above the insertion, and the next method.
    expect(row.locations).toEqual([{ file: 'pkg/store.py', qualname: 'Store', line: 35, endLine: 35 }, { file: 'pkg/store.py', qualname: 'Store.last', line: 36, endLine: 36 }]);
    const files = new Map(await issueWorkspace(row));
    files.set('pkg/store.py', Buffer.from(base.replace('        y = x + 0\n', '        # here\n        y = x + 0\n'))); // in m0
    const r = await verifyIssueLocalize(row, files);
    expect(details(r).comments[0]!.line).toBe(5); // placed in m0
    expect(r.success).toBe(false);
    // The honest answer: a comment in the gap where the method goes, at the class body's indentation.
    for (const comment of ['    # a method to add things belongs here', '# add the method here']) {
      const lines = base.split('\n');
      lines.splice(34, 0, comment);
      files.set('pkg/store.py', Buffer.from(lines.join('\n')));
      expect((await verifyIssueLocalize(row, files)).success, comment).toBe(true);
    }
  });
});
