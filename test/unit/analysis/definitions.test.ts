import { describe, expect, it } from 'vitest';
import { cleandoc, parsePythonSource } from '../../../src/analysis/index.js';

const NESTED = `def outer():
    def inner():
        class Local:
            def method(self):
                pass
        return Local
    return inner


class Outer:
    class Inner:
        def deep(self):
            pass

    async def amethod(self):
        pass

    @property
    @other.thing(1)
    def prop(self):
        return 1


if True:
    def conditional():
        pass
`;

describe('definitions', () => {
  it('gives CPython qualnames and kinds, nested and conditional definitions included', () => {
    const { definitions } = parsePythonSource(NESTED, 'm.py');
    expect(definitions.map((d) => [d.qualname, d.kind, d.name])).toEqual([
      ['outer', 'function', 'outer'],
      ['outer.<locals>.inner', 'function', 'inner'],
      ['outer.<locals>.inner.<locals>.Local', 'class', 'Local'],
      ['outer.<locals>.inner.<locals>.Local.method', 'method', 'method'],
      ['Outer', 'class', 'Outer'],
      ['Outer.Inner', 'class', 'Inner'],
      ['Outer.Inner.deep', 'method', 'deep'],
      ['Outer.amethod', 'method', 'amethod'],
      ['Outer.prop', 'method', 'prop'],
      ['conditional', 'function', 'conditional'],
    ]);
  });

  it('records lines: def line, first decorator, end, body start; ids, parents, async', () => {
    const parsed = parsePythonSource(NESTED, 'm.py');
    const prop = parsed.find('Outer.prop');
    expect(prop).toMatchObject({
      id: 'm.py::Outer.prop', file: 'm.py', module: null, line: 20, anchorLine: 18, endLine: 21, bodyLine: 21,
      decorators: ['property', 'other.thing(1)'], parentId: 'm.py::Outer', isAsync: false,
    });
    expect(parsed.find('Outer.amethod')).toMatchObject({ isAsync: true, line: 15, endLine: 16 });
    expect(parsed.find('outer')).toMatchObject({ line: 1, anchorLine: 1, endLine: 7, bodyLine: 2, parentId: null });
    expect(parsed.find('Outer')).toMatchObject({ line: 10, endLine: 21, kind: 'class' });
  });

  it('reads parameters with their kinds, defaults and annotations', () => {
    const src = 'def f(a, /, b: int, c=1, *args: str, d, e: "T" = 2, **kw): pass\nclass C(Base, metaclass=M): pass\n';
    const parsed = parsePythonSource(src);
    expect(parsed.find('f')?.parameters).toEqual([
      { name: 'a', kind: 'positional-only', hasDefault: false },
      { name: 'b', kind: 'positional', hasDefault: false, annotation: 'int' },
      { name: 'c', kind: 'positional', hasDefault: true },
      { name: 'args', kind: 'var-positional', hasDefault: false, annotation: 'str' },
      { name: 'd', kind: 'keyword-only', hasDefault: false },
      { name: 'e', kind: 'keyword-only', hasDefault: true, annotation: '"T"' },
      { name: 'kw', kind: 'var-keyword', hasDefault: false },
    ]);
    expect(parsed.find('C')?.bases).toEqual(['Base']);
    expect(parsed.find('f')?.bodyLine).toBe(1);
  });

  it('keeps redefinitions apart by id; find() returns the last one', () => {
    const parsed = parsePythonSource('def f():\n    return 1\n\ndef f():\n    return 2\n', 'r.py');
    expect(parsed.definitions.map((d) => d.id)).toEqual(['r.py::f', 'r.py::f#2']);
    expect(parsed.find('f')?.line).toBe(4);
  });
});

describe('docstrings', () => {
  const doc = (src: string) => parsePythonSource(src).find('f')?.docstring ?? null;

  it('reads triple-quoted docstrings with literal, value, cleaned text, lines and offsets', () => {
    const src = 'def f():\n    """Summary.\n\n        Indented detail.\n    """\n    return 1\n';
    const d = doc(src);
    expect(d).toMatchObject({
      line: 2, endLine: 5, quote: '"""', prefix: '', concatenated: false,
      literal: '"""Summary.\n\n        Indented detail.\n    """',
      value: 'Summary.\n\n        Indented detail.\n    ',
      cleaned: 'Summary.\n\nIndented detail.',
    });
    expect(src.slice(d!.startIndex, d!.endIndex)).toBe(d!.literal);
    expect(d!.startByte).toBe(d!.startIndex);
    expect(parsePythonSource(src).find('f')?.docstringOnly).toBe(false);
  });

  it('accepts every str form: single-line, single quotes, triple single quotes, r/u/R/U prefixes', () => {
    expect(doc("def f():\n    'one'\n")).toMatchObject({ value: 'one', quote: "'", line: 2, endLine: 2 });
    expect(doc("def f():\n    '''three'''\n")).toMatchObject({ value: 'three', quote: "'''" });
    expect(doc('def f():\n    r"""C:\\new\\path"""\n')).toMatchObject({ value: 'C:\\new\\path', prefix: 'r' });
    expect(doc('def f():\n    R"a\\tb"\n')).toMatchObject({ value: 'a\\tb', prefix: 'R' });
    expect(doc('def f():\n    u"caf\\u00e9\\n"\n')).toMatchObject({ value: 'café\n', prefix: 'u' });
    expect(doc('def f():\n    U"x"\n')).toMatchObject({ value: 'x', prefix: 'U' });
    expect(doc('def f(): "inline"\n')).toMatchObject({ value: 'inline', line: 1 });
  });

  it('follows CPython: implicit concatenation and parentheses still make a docstring; bytes and f-strings do not', () => {
    expect(doc('def f():\n    "a" \'b\'\n    pass\n')).toMatchObject({ value: 'ab', concatenated: true, literal: '"a" \'b\'' });
    expect(doc('def f():\n    ("paren")\n')).toMatchObject({ value: 'paren' });
    expect(doc('def f():\n    b"bytes"\n')).toBeNull();
    expect(doc('def f():\n    f"{x}"\n')).toBeNull();
    expect(doc('def f():\n    x = 1\n    "late"\n')).toBeNull();
    expect(doc('def f():\n    "a".strip()\n')).toBeNull();
  });

  it('skips comments before the docstring and flags a docstring-only body', () => {
    const parsed = parsePythonSource('class C:\n    # comment\n    """Doc."""\n');
    expect(parsed.find('C')?.docstring?.value).toBe('Doc.');
    expect(parsed.find('C')?.docstringOnly).toBe(true);
    expect(parsed.find('C')?.bodyLine).toBe(3);
  });

  it('counts UTF-8 bytes for offsets', () => {
    const d = parsePythonSource('# é\ndef f():\n    "ü"\n').find('f')?.docstring;
    expect(d).toMatchObject({ startIndex: 17, startByte: 18, endIndex: 20, endByte: 22 });
  });

  it('reads the module docstring', () => {
    expect(parsePythonSource('#!/usr/bin/env python\n"""Module."""\nx = 1\n').moduleDocstring?.value).toBe('Module.');
  });

  it('cleans like inspect.cleandoc, tabs included', () => {
    expect(cleandoc('  First.\n\t  Tabbed.\n      More.\n\n')).toBe('First.\n    Tabbed.\nMore.');
    expect(cleandoc('\n\n   only\n')).toBe('only');
  });
});
