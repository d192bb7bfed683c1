import { describe, expect, it } from 'vitest';
import { hasSyntaxErrors } from '../../../../src/analysis/index.js';
import { FUNC_GEN_PLACEHOLDER, maskFunctionBody, type MaskTarget } from '../../../../src/tasks/func-gen/mask.js';

const P = FUNC_GEN_PLACEHOLDER;

function mask(source: string, target: MaskTarget | string) {
  const r = maskFunctionBody(source, typeof target === 'string' ? { qualname: target } : target);
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  // The masked file parses and splices back into the original exactly.
  expect(hasSyntaxErrors(r.masked)).toBe(false);
  expect(r.masked.slice(0, r.placeholder.start) + r.body.text + r.masked.slice(r.placeholder.end)).toBe(source);
  expect(source.split('\n').slice(r.body.line - 1, r.body.endLine).join('\n')).toContain(r.body.text.replace(/\r/g, '').split('\n')[0]!);
  return r;
}

describe('func-gen masking', () => {
  it('keeps decorators, a multi-line annotated signature with defaults and a comment after the colon, and the docstring', () => {
    const src = [
      'import functools',
      '',
      '',
      '@functools.lru_cache(maxsize=None)',
      '@other',
      'def total(',
      '    items: list[int],',
      '    *,',
      '    start: int = 0,  # first',
      ') -> int:  # sums things',
      '    """Add up the items.',
      '',
      '    More words.',
      '    """',
      '    # running sum',
      '    acc = start',
      '',
      '    for x in items:',
      '        acc += x  # add',
      '    return acc',
      '',
      '',
      'def after():',
      '    return total([1])',
      '',
    ].join('\n');
    const r = mask(src, 'total');
    expect(r.body).toEqual({
      line: 15,
      endLine: 20,
      text: '    # running sum\n    acc = start\n\n    for x in items:\n        acc += x  # add\n    return acc',
    });
    expect(r.masked).toBe(src.replace(r.body.text, `    ${P}`));
    expect(r.masked).toContain(') -> int:  # sums things\n    """Add up the items.\n\n    More words.\n    """\n    pass  # TODO');
    expect(r.placeholder.line).toBe(15);
    expect(r.definition).toMatchObject({ qualname: 'total', kind: 'function', decorators: ['functools.lru_cache(maxsize=None)', 'other'] });
  });

  it('masks a one-line body after the colon on the same line', () => {
    const r = mask('def f(x): return x * 2  # doubled\n\ny = f(2)\n', 'f');
    expect(r.masked).toBe(`def f(x): ${P}\n\ny = f(2)\n`);
    expect(r.body).toEqual({ line: 1, endLine: 1, text: 'return x * 2  # doubled' });
  });

  it('masks simple statements after the docstring on its line, and a one-line body spanning lines in brackets', () => {
    expect(mask('def f():\n    "doc"; return 1\n', 'f').masked).toBe(`def f():\n    "doc"; ${P}\n`);
    const r = mask('def f(): return (1,\n    2)\nz = 1\n', 'f');
    expect(r.masked).toBe(`def f(): ${P}\nz = 1\n`);
    expect(r.body).toMatchObject({ line: 1, endLine: 2 });
  });

  it('takes nested functions and classes with the body, and leaves the next definition alone', () => {
    const src = 'def outer(n):\n    def inner(k):\n        return k + n\n\n    class Box:\n        v = 1\n    return inner(Box.v)\n\ndef nxt():\n    return 2\n';
    const r = mask(src, 'outer');
    expect(r.masked).toBe(`def outer(n):\n    ${P}\n\ndef nxt():\n    return 2\n`);
    expect(r.body).toMatchObject({ line: 2, endLine: 7 });
  });

  it('takes trailing comments at the body’s indentation, not those of the enclosing scope, nor blank lines after', () => {
    const src = [
      'class A:',
      '    def h(self):',
      '        x = 1',
      '        return x',
      '        # end of h',
      '',
      '            # deeper still',
      '    # about k',
      '',
      '    def k(self):',
      '        return 2',
      '# module comment',
      '',
    ].join('\n');
    const r = mask(src, 'A.h');
    expect(r.body.text).toBe('        x = 1\n        return x\n        # end of h\n\n            # deeper still');
    expect(r.masked).toBe(['class A:', '    def h(self):', `        ${P}`, '    # about k', '', '    def k(self):', '        return 2', '# module comment', ''].join('\n'));
    const k = mask(src, 'A.k');
    expect(k.body.text).toBe('        return 2');
  });

  it('does not take a comment at column 0 that tree-sitter hangs on the last nested block', () => {
    const src = 'def f(x):\n    if x:\n        return 1\n# module comment\ndef g():\n    pass\n';
    const r = mask(src, 'f');
    expect(r.masked).toBe(`def f(x):\n    ${P}\n# module comment\ndef g():\n    pass\n`);
  });

  it('keeps tabs and CRLF line ends', () => {
    const tabs = 'class T:\n\tdef m(self):\n\t\t"""Doc."""\n\t\ta = 1\n\t\treturn a\n';
    const r = mask(tabs, 'T.m');
    expect(r.masked).toBe(`class T:\n\tdef m(self):\n\t\t"""Doc."""\n\t\t${P}\n`);
    expect(r.body.text).toBe('\t\ta = 1\n\t\treturn a');

    const crlf = 'def f(a):\r\n    """Doc."""\r\n    b = a\r\n    return b\r\n\r\ndef g():\r\n    return 1\r\n';
    const c = mask(crlf, 'f');
    expect(c.masked).toBe(`def f(a):\r\n    """Doc."""\r\n    ${P}\r\n\r\ndef g():\r\n    return 1\r\n`);
    expect(c.body).toEqual({ line: 3, endLine: 4, text: '    b = a\r\n    return b' });
  });

  it('masks async defs and methods of nested classes, by qualname and occurrence', () => {
    const src = [
      'class Outer:',
      '    class Inner:',
      '        async def run(self, q):',
      '            """Run."""',
      '            await q.put(1)',
      '            return await q.get()',
      '',
      '    if True:',
      '        def twice(self):',
      '            return 1',
      '    else:',
      '        def twice(self):',
      '            return 2',
      '',
    ].join('\n');
    const r = mask(src, 'Outer.Inner.run');
    expect(r.definition).toMatchObject({ isAsync: true, kind: 'method' });
    expect(r.masked).toContain(`            """Run."""\n            ${P}\n\n    if True:`);
    const second = mask(src, { qualname: 'Outer.twice', occurrence: 1 });
    expect(second.body).toEqual({ line: 13, endLine: 13, text: '            return 2' });
    expect(second.masked).toContain(`            return 1\n    else:\n        def twice(self):\n            ${P}\n`);
  });

  it('refuses a docstring-only body, a class, an unknown target, a file that does not parse and a file that already holds the placeholder', () => {
    const reason = (src: string, q: string, occurrence?: number) => {
      const r = maskFunctionBody(src, { qualname: q, occurrence });
      return r.ok ? 'ok' : r.reason;
    };
    expect(reason('def f():\n    """Only a docstring."""\n', 'f')).toBe('docstring-only');
    expect(reason('class C:\n    x = 1\n', 'C')).toBe('not-a-function');
    expect(reason('def f():\n    return 1\n', 'g')).toBe('not-found');
    expect(reason('def f():\n    return 1\n', 'f', 1)).toBe('not-found');
    expect(reason('def f(:\n    return 1\n', 'f')).toBe('syntax-errors');
    expect(reason(`def f():\n    return 1\n\ndef g():\n    ${P}\n`, 'f')).toBe('placeholder-in-file');
  });

  it('masks a body whose only statements follow a blank line after the docstring, keeping the blank line', () => {
    const r = mask('def f():\n    """Doc."""\n\n    return compute()\n', 'f');
    expect(r.masked).toBe(`def f():\n    """Doc."""\n\n    ${P}\n`);
    expect(r.body).toEqual({ line: 4, endLine: 4, text: '    return compute()' });
  });

  it('keeps a file with no final newline and a BOM intact around the body', () => {
    const r = mask('\ufeffdef f():\n    return g()', 'f');
    expect(r.masked).toBe(`\ufeffdef f():\n    ${P}`);
  });

  it('names the file it was given, whatever was parsed before (parses are memoised per text and file)', () => {
    const src = 'def f(x):\n    y = x + 1\n    return y\n';
    const a = maskFunctionBody(src, { qualname: 'f', file: 'a.py' });
    const b = maskFunctionBody(src, { qualname: 'f', file: 'b.py' });
    expect(a.ok && a.definition.id).toBe('a.py::f');
    expect(b.ok && b.definition.id).toBe('b.py::f');
    const changed = maskFunctionBody(src.replace('x + 1', 'x + 2'), { qualname: 'f', file: 'a.py' });
    expect(changed.ok && changed.body.text).toBe('    y = x + 2\n    return y');
  });

  it('is deterministic', () => {
    const src = 'def f(x):\n    y = x + 1\n    return y\n';
    expect(maskFunctionBody(src, { qualname: 'f' })).toEqual(maskFunctionBody(src, { qualname: 'f' }));
  });
});
