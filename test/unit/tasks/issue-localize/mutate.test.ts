import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasSyntaxErrors, parsePythonSource, stripDocstringsAndComments } from '../../../../src/analysis/index.js';
import { functionMutants, type Mutant } from '../../../../src/tasks/issue-localize/mutate.js';
import { MUTATION_KINDS, type MutationKind } from '../../../../src/tasks/issue-localize/schema.js';
import { debianPythonModule, pyFiles } from '../../../support/debian-repos.js';

const py = (...lines: string[]): string => `${lines.join('\n')}\n`;

/** The kind's mutants as `line: mutated` (in-line) or `-line: original` (removal, reported at the line above). */
function shown(ms: Mutant[], kind: MutationKind): string[] {
  return ms.filter((m) => m.kind === kind).map((m) => (m.mutated === '' ? `-${m.line}: ${m.original}` : `${m.line}: ${m.mutated.trim()}`));
}

/**
 * What every mutant must satisfy: it parses, changes the code, and its lines describe it exactly,
 * so that putting `original` back where the lines say restores the file byte for byte. Returns the
 * first broken rule (short messages: diffs of whole files would swamp the report).
 */
interface Checks {
  /** Whether a whole file parses without errors. */
  parses(text: string): boolean;
  /** The original's code without docstrings and comments, or null to leave that check out. */
  stripped: string | null;
}

function mutantProblem(source: string, m: Mutant, fn: { line: number; endLine: number }, checks: Checks): string | null {
  if (!checks.parses(m.source)) return 'does not parse';
  if (checks.stripped !== null && stripDocstringsAndComments(m.source) === checks.stripped) return 'changes no code';
  const before = source.split('\n');
  const lines = m.source.split('\n');
  const originalLines = m.original.split('\n');
  if (m.line < fn.line || m.endLine < m.line) return `bad lines ${m.line}-${m.endLine}`;
  if (m.mutated === '') {
    // A removal: `line` is the line above the removed lines, inside the function.
    if (m.endLine !== m.line || m.line >= fn.endLine) return `removal reported at ${m.line}-${m.endLine}`;
    if (before.slice(m.line, m.line + originalLines.length).join('\n') !== m.original) return 'original is not the removed lines';
    lines.splice(m.line, 0, ...originalLines);
  } else {
    if (m.endLine > fn.endLine + lines.length - before.length) return `lines ${m.line}-${m.endLine} leave the function`;
    if (lines.slice(m.line - 1, m.endLine).join('\n') !== m.mutated) return 'mutated is not the lines line..endLine';
    if (before.slice(m.line - 1, m.line - 1 + originalLines.length).join('\n') !== m.original) return 'original is not the lines it replaced';
    lines.splice(m.line - 1, m.endLine - m.line + 1, ...originalLines);
  }
  return lines.join('\n') === source ? null : 'putting original back does not restore the file';
}

function checkMutant(source: string, m: Mutant, fn: { line: number; endLine: number }, where = '', checks?: Checks): void {
  const problem = mutantProblem(source, m, fn, checks ?? { parses: (t) => !hasSyntaxErrors(t), stripped: stripDocstringsAndComments(source) });
  if (problem) throw new Error(`${where} ${m.kind} at line ${m.line}: ${problem}\n${m.original}\n=>\n${m.mutated}`);
}

function checkAll(source: string, qualname: string, occurrence = 0): Mutant[] {
  const def = parsePythonSource(source).definitions.filter((d) => d.qualname === qualname)[occurrence]!;
  const ms = functionMutants(source, { qualname, occurrence });
  for (const m of ms) checkMutant(source, m, def);
  return ms;
}

describe('functionMutants: each kind', () => {
  it('flip-comparison flips one operator of a comparison at a time', () => {
    const src = py(
      'def f(a, b, c):',
      '    r = [a < b, a <= b, a > b, a >= b]',
      '    s = [a == b, a != b, a in b, a not in b, a is b, a is not b]',
      '    t = a < b < c',
      '    print(r, s, t)',
    );
    const ms = checkAll(src, 'f');
    expect(shown(ms, 'flip-comparison')).toEqual([
      '2: r = [a >= b, a <= b, a > b, a >= b]',
      '2: r = [a < b, a > b, a > b, a >= b]',
      '2: r = [a < b, a <= b, a <= b, a >= b]',
      '2: r = [a < b, a <= b, a > b, a < b]',
      '3: s = [a != b, a != b, a in b, a not in b, a is b, a is not b]',
      '3: s = [a == b, a == b, a in b, a not in b, a is b, a is not b]',
      '3: s = [a == b, a != b, a not in b, a not in b, a is b, a is not b]',
      '3: s = [a == b, a != b, a in b, a in b, a is b, a is not b]',
      '3: s = [a == b, a != b, a in b, a not in b, a is not b, a is not b]',
      '3: s = [a == b, a != b, a in b, a not in b, a is b, a is b]',
      '4: t = a >= b < c',
      '4: t = a < b >= c',
    ]);
  });

  it('flip-boolean swaps and/or, drops a not, flips True/False (but not a returned literal)', () => {
    const src = py(
      'def f(a, b):',
      '    x = a and b or not a',
      '    y = True',
      '    g(flag=False)',
      '    return True',
    );
    const ms = checkAll(src, 'f');
    expect(shown(ms, 'flip-boolean')).toEqual([
      '2: x = a or b or not a',
      '2: x = a and b and not a',
      '2: x = a and b or a',
      '3: y = False',
      '4: g(flag=True)',
    ]);
    expect(shown(ms, 'change-return')).toEqual(['5: return False']);
  });

  it('off-by-one shifts integer literals by one either way (not below 0) and moves comparison boundaries', () => {
    const src = py(
      'def f(a, xs):',
      '    a = xs[0] + 5',
      '    b = 0x1F - 1_000',
      '    c = 2j + 3.0',
      '    if a < b and a >= 1:',
      '        print(a, b, c)',
    );
    const ms = checkAll(src, 'f');
    expect(shown(ms, 'off-by-one')).toEqual([
      '2: a = xs[1] + 5',
      '2: a = xs[0] + 6',
      '2: a = xs[0] + 4',
      '3: b = 0x20 - 1_000',
      '3: b = 0x1E - 1_000',
      '3: b = 0x1F - 1001',
      '3: b = 0x1F - 999',
      '5: if a <= b and a >= 1:',
      '5: if a < b and a > 1:',
      '5: if a < b and a >= 2:',
      '5: if a < b and a >= 0:',
    ]);
  });

  it('remove-branch deletes an elif or else clause, or a lone if when its block keeps another statement', () => {
    const src = py(
      'def f(a):',
      '    if a > 0:',
      '        a = g(a)',
      '    elif a < 0:',
      '        a = h(a)',
      '    else:',
      '        a = k(a)',
      '    if a:',
      '        print(a)',
      '    for x in a:',
      '        if x:',
      '            print(x)',
      '    return a',
    );
    const ms = checkAll(src, 'f');
    expect(shown(ms, 'remove-branch')).toEqual([
      '-3:     elif a < 0:\n        a = h(a)',
      '-5:     else:\n        a = k(a)',
      '-7:     if a:\n        print(a)',
    ]);
    const elif = ms.find((m) => m.kind === 'remove-branch')!;
    expect(elif.source).toBe(src.replace('    elif a < 0:\n        a = h(a)\n', ''));
  });

  it('swap-args swaps the first two positional arguments when they differ', () => {
    const src = py(
      'def f(a, b, c):',
      '    g(a, b, c)',
      '    g(a, a)',
      '    g(a, *b)',
      '    g(a, key=b)',
      '    g(x for x in a)',
      '    g(a,',
      '      b[0])',
    );
    const ms = checkAll(src, 'f');
    expect(shown(ms, 'swap-args')).toEqual(['2: g(b, a, c)', '7: g(b[0],\n      a)']);
    const multi = ms.find((m) => m.kind === 'swap-args' && m.line === 7)!;
    expect(multi).toMatchObject({ endLine: 8, original: '    g(a,\n      b[0])' });
  });

  it('drop-statement deletes a simple statement alone on its lines, never pass, the docstring or a block\'s last statement', () => {
    const src = py(
      'def f(a, b):',
      '    """Doc."""',
      '    a += 1',
      '    b = [a,',
      '         a]',
      '    del a; del b',
      '    if a: b = 2',
      '    pass',
      '    ...',
      '    "not a docstring"',
      '    if b:',
      '        raise ValueError(b)',
      '    g(b)  # trailing comment',
    );
    const ms = checkAll(src, 'f');
    expect(shown(ms, 'drop-statement')).toEqual([
      '-2:     a += 1',
      '-3:     b = [a,\n         a]',
      '-12:     g(b)  # trailing comment',
    ]);
  });

  it('drop-statement counts the docstring as a statement the block keeps', () => {
    const src = py('def f(a):', '    """Doc."""', '    a.close()');
    const ms = checkAll(src, 'f');
    expect(ms.map((m) => [m.kind, m.line, m.source])).toEqual([['drop-statement', 2, 'def f(a):\n    """Doc."""\n']]);
  });

  it('change-return returns None instead, or the other boolean; bare return and return None stay', () => {
    const src = py(
      'def f(a):',
      '    if a:',
      '        return',
      '    if a.b:',
      '        return None',
      '    if a.c:',
      '        return False',
      '    return (a,',
      '            a.d)',
    );
    const ms = checkAll(src, 'f');
    expect(shown(ms, 'change-return')).toEqual(['7: return True', '8: return None']);
    const multi = ms.find((m) => m.kind === 'change-return' && m.line === 8)!;
    expect(multi).toMatchObject({ endLine: 8, original: '    return (a,\n            a.d)', mutated: '    return None' });
  });
});

describe('functionMutants: only the function\'s own body', () => {
  const src = py(
    'import os',
    '',
    '@decorate(1 < 2, True)',
    'def f(a, b=1, c=a < b, *, d: int = 2) -> bool:',
    '    """Docstring: a < b and True; return 1."""',
    '    s = "a < b" + \'x == 1\'',
    '    t = [f"{a<b} {not a} {a(1, 2)}", b"1 < 2"]',
    '    def inner(x=3, y=x < 4):',
    '        return x < 4 and not y',
    '    class K:',
    '        z = 1 < 2',
    '        def m(self): return self.z(1, 2)',
    '    g = lambda y=5: y > 6 or f(y, 7)',
    '    h: Dict[1, 2] = None',
    '    if a < b:',
    '        print(s, t)',
    '',
    'def other(a):',
    '    return a < 1',
  );
  const PROTECTED = [
    '@decorate(1 < 2, True)',
    'def f(a, b=1, c=a < b, *, d: int = 2) -> bool:',
    '"""Docstring: a < b and True; return 1."""',
    '"a < b"',
    "'x == 1'",
    'f"{a<b} {not a} {a(1, 2)}"',
    'b"1 < 2"',
    'def inner(x=3, y=x < 4):\n        return x < 4 and not y',
    'class K:\n        z = 1 < 2\n        def m(self): return self.z(1, 2)',
    'lambda y=5: y > 6 or f(y, 7)',
    'Dict[1, 2]',
    'def other(a):\n    return a < 1\n',
  ];
  const count = (text: string, part: string): number => text.split(part).length - 1;

  it('never changes decorators, the signature, the docstring, strings, f-strings, annotations, nested scopes or other functions', () => {
    const ms = checkAll(src, 'f');
    expect(ms.length).toBeGreaterThan(5);
    for (const m of ms) {
      for (const part of PROTECTED) {
        // A removed statement may take a protected part with it, whole; nothing else touches one.
        if (m.mutated === '' && m.original.includes(part)) continue;
        expect(count(m.source, part), `${m.kind} line ${m.line} touched ${part}`).toBe(count(src, part));
      }
    }
    // What is left to mutate: the body's own statements.
    expect(shown(ms, 'flip-comparison')).toEqual(['15: if a >= b:']);
    expect(shown(ms, 'swap-args')).toEqual(['16: print(t, s)']);
    expect(shown(ms, 'drop-statement').map((s) => s.split(':')[0])).toEqual(['-5', '-6', '-12', '-13']);
  });

  it('mutates a nested function on its own when asked by its qualname', () => {
    const ms = checkAll(src, 'f.<locals>.inner');
    expect(ms.map((m) => `${m.kind} ${m.mutated.trim()}`)).toEqual([
      'change-return return None',
      'flip-comparison return x >= 4 and not y',
      'off-by-one return x <= 4 and not y',
      'off-by-one return x < 5 and not y',
      'off-by-one return x < 3 and not y',
      'flip-boolean return x < 4 or not y',
      'flip-boolean return x < 4 and y',
    ]);
    expect(checkAll(src, 'f.<locals>.K.m').map((m) => m.kind)).toEqual(['change-return', 'off-by-one', 'off-by-one', 'swap-args', 'off-by-one', 'off-by-one']);
  });
});

describe('functionMutants: selection, order, line endings', () => {
  it('is deterministic and ordered by source position, then kind', () => {
    const src = py('def f(a):', '    if a < 1:', '        a = g(a, 2)', '    return a');
    const a = functionMutants(src, { qualname: 'f' });
    expect(functionMutants(src, { qualname: 'f' })).toEqual(a);
    expect(a.map((m) => m.kind)).toEqual([
      'remove-branch', 'flip-comparison', 'off-by-one', 'off-by-one', 'off-by-one', 'swap-args', 'off-by-one', 'off-by-one', 'change-return',
    ]);
  });

  it('occurrence selects the right redefinition', () => {
    const src = py('def f(a):', '    return a < 1', '', 'def f(a):', '    return a > 2');
    const first = checkAll(src, 'f', 0);
    const second = checkAll(src, 'f', 1);
    expect(first.every((m) => m.line === 2)).toBe(true);
    expect(second.every((m) => m.line === 5)).toBe(true);
    expect(second.find((m) => m.kind === 'flip-comparison')!.mutated).toBe('    return a <= 2');
    expect(functionMutants(src, { qualname: 'f' })).toEqual(first);
    expect(functionMutants(src, { qualname: 'f', occurrence: 2 })).toEqual([]);
  });

  it('an unknown function, a class or a broken target gives an empty list', () => {
    const src = py('class A:', '    x = 1 < 2', '    def m(self):', '        return self.x');
    expect(functionMutants(src, { qualname: 'nope' })).toEqual([]);
    expect(functionMutants(src, { qualname: 'A' })).toEqual([]);
    expect(checkAll(src, 'A.m').map((m) => m.mutated)).toEqual(['        return None']);
    expect(functionMutants('', { qualname: 'f' })).toEqual([]);
  });

  it('keeps CRLF line endings everywhere, removals included', () => {
    const src = py('def f(a):', '    a = g(a, 1)', '    if a:', '        a -= 1', '    else:', '        a += 2', '    return a').replace(/\n/g, '\r\n');
    const ms = checkAll(src, 'f');
    expect(new Set(ms.map((m) => m.kind))).toEqual(new Set(['off-by-one', 'swap-args', 'drop-statement', 'remove-branch', 'change-return']));
    for (const m of ms) {
      expect(m.source.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
      expect(m.source.endsWith('\r\n')).toBe(true);
    }
    const removal = ms.find((m) => m.kind === 'remove-branch')!;
    expect(removal).toMatchObject({ line: 4, original: '    else:\r\n        a += 2\r' });
    expect(removal.source).toBe(src.replace('    else:\r\n        a += 2\r\n', ''));
  });
});

describe('functionMutants: file edges', () => {
  it('removes the last line of a file without a final newline and the file still ends without one', () => {
    const src = 'def f(a):\n    a.x()\n    a.y(1)';
    const ms = checkAll(src, 'f');
    expect(shown(ms, 'drop-statement')).toEqual(['-1:     a.x()', '-2:     a.y(1)']);
    expect(ms.find((m) => m.kind === 'drop-statement' && m.line === 2)!.source).toBe('def f(a):\n    a.x()');
    expect(ms.find((m) => m.kind === 'off-by-one')!).toMatchObject({ line: 3, endLine: 3, mutated: '    a.y(2)', source: 'def f(a):\n    a.x()\n    a.y(2)' });
  });

  it('mutates tab-indented methods and leaves a line continued by a backslash in place', () => {
    const src = 'class A:\n\tdef m(self, a):\n\t\tx = 1\n\t\t\\\n\t\ty = 2\n\t\treturn x < y\n';
    const ms = checkAll(src, 'A.m');
    expect(shown(ms, 'drop-statement')).toEqual(['-2: \t\tx = 1']);
    expect(shown(ms, 'flip-comparison')).toEqual(['6: return x >= y']);
  });

  it('mutates async methods; an annotation without a value is not a statement to drop', () => {
    const src = py('class A:', '    async def m(self, a):', '        x: int', '        y: Dict[int, 2] = 1', '        await g(a, 1)');
    const ms = checkAll(src, 'A.m');
    expect(shown(ms, 'drop-statement')).toEqual(['-3:         y: Dict[int, 2] = 1', '-4:         await g(a, 1)']);
    expect(shown(ms, 'off-by-one')).toEqual(['4: y: Dict[int, 2] = 2', '4: y: Dict[int, 2] = 0', '5: await g(a, 2)', '5: await g(a, 0)']);
    expect(shown(ms, 'swap-args')).toEqual(['5: await g(1, a)']);
  });

  it('gives nothing for a file that does not parse', () => {
    expect(functionMutants(py('def f(a):', '    return a < 1', 'def g(:'), { qualname: 'f' })).toEqual([]);
  });
});


interface NativeTree {
  rootNode: { hasError: boolean };
  edit(e: { startIndex: number; oldEndIndex: number; newEndIndex: number; startPosition: Point; oldEndPosition: Point; newEndPosition: Point }): void;
}
interface Point {
  row: number;
  column: number;
}

/**
 * tree-sitter's own verdict on whole files that each differ from `source` in one place. A fresh
 * parse of a big file per mutant takes minutes over thousands of mutants, so each is parsed
 * incrementally from the original's tree (edited to the mutant, parsed, edited back) and one in
 * `freshEvery` is parsed afresh as well, to confirm the incremental verdict.
 */
function nativeParses(source: string, freshEvery = 25): (text: string) => boolean {
  const require = createRequire(import.meta.url);
  const Parser = require('tree-sitter') as new () => { setLanguage(l: unknown): void; parse(t: string, old?: NativeTree): NativeTree };
  const parser = new Parser();
  parser.setLanguage(require('tree-sitter-python'));
  const point = (text: string, i: number): Point => {
    const lineStart = text.lastIndexOf('\n', i - 1) + 1;
    return { row: text.slice(0, i).split('\n').length - 1, column: i - lineStart };
  };
  const edit = (tree: NativeTree, from: string, to: string, at: number, oldEnd: number, newEnd: number): void =>
    tree.edit({ startIndex: at, oldEndIndex: oldEnd, newEndIndex: newEnd, startPosition: point(from, at), oldEndPosition: point(from, oldEnd), newEndPosition: point(to, newEnd) });
  let tree = parser.parse(source);
  let calls = 0;
  return (text) => {
    let at = 0;
    const n = Math.min(source.length, text.length);
    while (at < n && source.charCodeAt(at) === text.charCodeAt(at)) at++;
    let tail = 0;
    while (tail < n - at && source.charCodeAt(source.length - 1 - tail) === text.charCodeAt(text.length - 1 - tail)) tail++;
    edit(tree, source, text, at, source.length - tail, text.length - tail);
    const mutated = parser.parse(text, tree);
    const ok = !mutated.rootNode.hasError;
    edit(mutated, text, source, at, text.length - tail, source.length - tail);
    tree = parser.parse(source, mutated);
    if (calls++ % freshEvery === 0) expect(!parser.parse(text).rootNode.hasError, 'incremental and fresh parses disagree').toBe(ok);
    return ok;
  };
}

/** Real code nobody here wrote, when its .deb can be had. */
function toolzRoot(): string | null {
  try {
    return debianPythonModule('python3-toolz', 'toolz');
  } catch (error) {
    console.warn(`skipping the toolz mutation test: cannot download python3-toolz (${(error as Error).message.split('\n')[0]})`);
    return null;
  }
}
const TOOLZ = toolzRoot();

describe('functionMutants on real code (python3-toolz)', () => {
  it.skipIf(TOOLZ === null)('every mutant of every function parses and describes its lines exactly (and, one in fifty, changes the code)', () => {
    const root = TOOLZ!;
    const counts = Object.fromEntries(MUTATION_KINDS.map((k) => [k, 0])) as Record<MutationKind, number>;
    let functions = 0;
    let total = 0;
    for (const path of pyFiles(root)) {
      const file = relative(root, path);
      const source = readFileSync(path, 'utf8');
      const seen = new Map<string, number>();
      const stripped = stripDocstringsAndComments(source);
      const parses = nativeParses(source);
      for (const def of parsePythonSource(source, file).definitions) {
        const occurrence = seen.get(def.qualname) ?? 0;
        seen.set(def.qualname, occurrence + 1);
        if (def.kind === 'class') continue;
        functions++;
        const ms = functionMutants(source, { qualname: def.qualname, occurrence });
        for (const m of ms) {
          checkMutant(source, m, def, `${file}:${def.qualname}`, { parses, stripped: total % 50 === 0 ? stripped : null });
          total++;
          counts[m.kind]++;
        }
      }
    }
    console.log(`toolz: ${functions} functions, ${total} mutants; per kind: ${JSON.stringify(counts)}`);
    expect(functions).toBeGreaterThan(200);
    for (const k of MUTATION_KINDS) expect(counts[k], k).toBeGreaterThan(10);
  }, 300_000);
});
