import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasSyntaxErrors, parsePythonSource, stripDocstringsAndComments } from '../../../src/analysis/index.js';
import { definitionsOf } from '../../../src/analysis/python/source.js';

const ORIGINAL = `"""Module doc."""
import os


def f(a, b):
    """Adds.

    Long text.
    """
    # a comment
    return a + b  # trailing


class C:
    'Class doc.'

    def m(self):
        return "not a docstring" if self else 'x'
`;

describe('stripDocstringsAndComments', () => {
  it('ignores docstrings, comments and formatting', () => {
    const edited = `import os
def f(a,b):
    '''Completely different docstring.'''
    return a+b
class C:
    def m(self):
        # new comment
        return "not a docstring" \\
            if self else 'x'
`;
    expect(stripDocstringsAndComments(edited)).toBe(stripDocstringsAndComments(ORIGINAL));
  });

  it('stays sensitive to tokens, string contents and indentation', () => {
    const base = stripDocstringsAndComments(ORIGINAL);
    expect(stripDocstringsAndComments(ORIGINAL.replace('a + b', 'a - b'))).not.toBe(base);
    expect(stripDocstringsAndComments(ORIGINAL.replace('"not a docstring"', '"not a  docstring"'))).not.toBe(base);
    const a = 'if x:\n    y()\n    z()\n';
    const b = 'if x:\n    y()\nz()\n';
    expect(stripDocstringsAndComments(a)).not.toBe(stripDocstringsAndComments(b));
  });

  it('removes only the first-statement string: a later string statement stays', () => {
    const a = 'def f():\n    "doc"\n    "kept"\n';
    const b = 'def f():\n    "other doc"\n    "kept"\n';
    const c = 'def f():\n    "doc"\n    "changed"\n';
    expect(stripDocstringsAndComments(a)).toBe(stripDocstringsAndComments(b));
    expect(stripDocstringsAndComments(a)).not.toBe(stripDocstringsAndComments(c));
  });

  it('treats a removed docstring and a body of only a docstring consistently', () => {
    expect(stripDocstringsAndComments('def f():\n    "doc"\n')).toBe(stripDocstringsAndComments('def f():\n    """Another."""\n'));
  });
});

describe('hasSyntaxErrors', () => {
  it('detects broken code, Python 2 statements, and accepts modern syntax', () => {
    expect(hasSyntaxErrors('def f(:\n    pass\n')).toBe(true);
    expect(hasSyntaxErrors('print "hello"\n')).toBe(true);
    expect(hasSyntaxErrors('x = (1,\n')).toBe(true);
    expect(hasSyntaxErrors('async def f():\n    match x:\n        case [a, *rest]:\n            return f"{a!r:>10}"\n')).toBe(false);
    expect(hasSyntaxErrors(ORIGINAL)).toBe(false);
  });

  it('is reported by parsePythonSource too, which still returns what it recovered', () => {
    const parsed = parsePythonSource('def ok():\n    pass\n\ndef bad(:\n    pass\n');
    expect(parsed.hasErrors).toBe(true);
    expect(parsed.find('ok')).toBeDefined();
  });
});

describe('definitionsOf', () => {
  it('finds the very definitions parsePythonSource finds, on real files and broken ones', async () => {
    const root = '/usr/lib/python3.11';
    const texts = await Promise.all(['argparse.py', 'json/decoder.py', 'dataclasses.py', 'email/_header_value_parser.py', 'asyncio/tasks.py'].map((f) => readFile(join(root, f), 'utf8')));
    const broken = ['def f(:\n    """Doc."""\n', 'class A:\n    def g(self):\n        """Doc."""\n        return (\n', 'async def h():\n\t"""Tabs."""\n\tawait x\n@d\nclass'];
    for (const text of [...texts, ...broken]) {
      expect(definitionsOf(text, 'pkg/m.py')).toEqual(parsePythonSource(text, 'pkg/m.py').definitions);
    }
  });

  it('remembers a text it has just parsed (same array back), keyed by file and content', () => {
    const text = 'def f():\n    """Doc."""\n';
    const a = definitionsOf(text, 'a.py');
    expect(definitionsOf(text, 'a.py')).toBe(a);
    expect(definitionsOf(text, 'b.py')).not.toBe(a);
    expect(definitionsOf(`${text}\n`, 'a.py')).not.toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });
});
