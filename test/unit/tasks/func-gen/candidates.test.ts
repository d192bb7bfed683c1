import { describe, expect, it } from 'vitest';
import { funcGenCandidates, type FuncGenCandidateOptions } from '../../../../src/tasks/func-gen/candidates.js';

const verdicts = (src: string, file = 'pkg/mod.py', o: FuncGenCandidateOptions = { minLines: 1 }) =>
  Object.fromEntries(funcGenCandidates(src, file, o).map((v) => [`${v.qualname}#${v.occurrence}`, v.ok ? 'ok' : v.reason]));

describe('func-gen candidates', () => {
  it('rejects trivial bodies and keeps real ones', () => {
    const src = `
def bare():
    pass

def dots():
    """Doc."""
    ...

def const():
    return 42

def neg():
    return -1.5

def nothing():
    return

def none_():
    return None

def tup():
    return (1, "a", None)

def mapping():
    return {"a": [1, 2], "b": ()}

def notimpl(x):
    return NotImplemented

def param(a, b):
    """Doc."""
    return b

def fstring(name):
    return f"hi {name}"

def call(a):
    return len(a)

def raises(self):
    raise NotImplementedError("subclass")

def raises_bare():
    raise NotImplementedError

def raises_other():
    raise ValueError("x")

class C:
    @property
    def x(self):
        """The x."""
        return self._x

    def getter(self):
        return self.a.b

    @property
    def computed(self):
        return self._x * 2

    def chained(self):
        pass
        return self

def real(a, b):
    c = a + b
    return c * 2
`;
    expect(verdicts(src)).toEqual({
      'bare#0': 'empty',
      'dots#0': 'empty',
      'const#0': 'returns-constant',
      'neg#0': 'returns-constant',
      'nothing#0': 'returns-constant',
      'none_#0': 'returns-constant',
      'tup#0': 'returns-constant',
      'mapping#0': 'returns-constant',
      'notimpl#0': 'returns-constant',
      'param#0': 'returns-parameter',
      'fstring#0': 'ok',
      'call#0': 'ok',
      'raises#0': 'not-implemented',
      'raises_bare#0': 'not-implemented',
      'raises_other#0': 'ok',
      'C.x#0': 'returns-attribute',
      'C.getter#0': 'returns-attribute',
      'C.computed#0': 'ok',
      'C.chained#0': 'returns-parameter',
      'real#0': 'ok',
    });
  });

  it('leaves out docstring-only bodies, nested functions, tests, and applies the size bounds', () => {
    const src = `
def doc_only():
    """Only this."""

def outer(x):
    def inner(y):
        z = y + 1
        return z
    return inner(x)

def test_thing():
    assert outer(1) == 2

class TestThing:
    def helper(self):
        return outer(1) + 1

def long_one(x):
    """Doc."""
    a = x
    # a comment does not count

    b = """two
lines"""
    return a, b
`;
    const v = funcGenCandidates(src, 'pkg/mod.py', { minLines: 2, maxLines: 4 });
    expect(Object.fromEntries(v.map((x) => [x.qualname, x.ok ? 'ok' : x.reason]))).toEqual({
      doc_only: 'docstring-only',
      outer: 'ok',
      'outer.<locals>.inner': 'locals',
      test_thing: 'test',
      'TestThing.helper': 'test',
      long_one: 'ok',
    });
    expect(v.find((x) => x.qualname === 'long_one')!.codeLines).toBe(4);
    expect(v.find((x) => x.qualname === 'outer')!.codeLines).toBe(4);
    expect(funcGenCandidates(src, 'pkg/mod.py', { minLines: 5 }).find((x) => x.qualname === 'outer')!.reason).toBe('too-short');
    expect(funcGenCandidates(src, 'pkg/mod.py', { maxLines: 3 }).find((x) => x.qualname === 'outer')!.reason).toBe('too-long');
    expect(funcGenCandidates(src, 'pkg/mod.py', { includeTests: true }).find((x) => x.qualname === 'test_thing')!.ok).toBe(false); // one line
    expect(funcGenCandidates(src, 'pkg/mod.py', { includeTests: true, minLines: 1 }).find((x) => x.qualname === 'test_thing')!.ok).toBe(true);
  });

  it('rejects everything in a test file or in a file that does not parse', () => {
    const src = 'def helper(a):\n    b = a + 1\n    return b\n';
    expect(verdicts(src, 'tests/helpers.py')).toEqual({ 'helper#0': 'test' });
    expect(verdicts(src, 'pkg/conftest.py')).toEqual({ 'helper#0': 'test' });
    expect(verdicts(`${src}def broken(:\n    pass\n`)['helper#0']).toBe('syntax-errors');
  });

  it('defaults to bodies of 2 to 60 lines of code, and names a mistyped option', () => {
    const one = 'def f(a):\n    return len(a)\n';
    expect(funcGenCandidates(one, 'm.py')[0]!.reason).toBe('too-short');
    const big = `def f(a):\n${Array.from({ length: 61 }, (_, i) => `    a += ${i}\n`).join('')}    return a\n`;
    expect(funcGenCandidates(big, 'm.py')[0]!.reason).toBe('too-long');
    expect(() => funcGenCandidates(one, 'm.py', { minLine: 1 } as never)).toThrow(/minLines/);
  });

  it('is deterministic', () => {
    const src = 'def f(a):\n    b = a\n    return b\n\ndef f(a):\n    return 1\n';
    expect(funcGenCandidates(src, 'm.py')).toEqual(funcGenCandidates(src, 'm.py'));
    expect(funcGenCandidates(src, 'm.py').map((v) => v.occurrence)).toEqual([0, 1]);
  });
});
