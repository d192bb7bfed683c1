import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parsePythonSource } from '../../../src/analysis/index.js';
import { MANIFEST_HASH_LENGTH, MANIFEST_SCRIPT, MANIFEST_WHITESPACE_CLASS } from '../../../src/image/manifest-script.js';
import { ANSWER_HASH_LENGTH, ANSWER_WHITESPACE_CLASS, answerHash, normalizeAnswerText } from '../../../src/tasks/image-contents.js';

/** The manifest script's functions (everything before its walk), run by the host's python3. */
function python(program: string, input: unknown): unknown {
  const head = MANIFEST_SCRIPT.slice(0, MANIFEST_SCRIPT.indexOf('# --- walk ---'));
  expect(head.length).toBeGreaterThan(100);
  const out = execFileSync('python3', ['-I', '-S', '-c', `${head}\nimport json, sys\ndata = json.loads(sys.stdin.read())\n${program}`], {
    input: JSON.stringify(input),
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

const TEXTS = [
  'Scan the string s for a JSON string.',
  '  Leading and trailing\n\n   whitespace\t\tinside\r\n  ',
  '\n    Return the value.\n\n    Indented\n        more.\n    ',
  'tabs\tand\vvertical\ftabs',
  'Python-only whitespace: \x1c\x1d\x1e\x1f and NEL\x85 here',
  'Unicode spaces:\u00a0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000end',
  'not whitespace to Python: \ufeff zero width \u200b and \u180e stay',
  'ümlauts, emoji 😀 and CJK 漢字 with  two  spaces',
  '',
  '   ',
  'x',
];

describe('normalizeAnswerText in TypeScript and in the manifest script', () => {
  it('uses one whitespace class and one hash length on both sides', () => {
    expect(MANIFEST_WHITESPACE_CLASS).toBe(ANSWER_WHITESPACE_CLASS);
    expect(MANIFEST_HASH_LENGTH).toBe(ANSWER_HASH_LENGTH);
  });

  it('collapses whitespace runs to one space and trims the ends', () => {
    expect(normalizeAnswerText('  a \n\t b   c\n')).toBe('a b c');
    expect(normalizeAnswerText('a\u3000\u00a0b')).toBe('a b');
    expect(normalizeAnswerText('a\ufeffb')).toBe('a\ufeffb');
    expect(normalizeAnswerText('   ')).toBe('');
  });

  it('gives exactly the same texts and hashes as Python', () => {
    const py = python("print(json.dumps([[normalize(t), answer_hash(t)] for t in data]))", TEXTS) as Array<[string, string]>;
    expect(py).toEqual(TEXTS.map((t) => [normalizeAnswerText(t), answerHash(normalizeAnswerText(t))]));
  });

  it("hashes the docstring value the analysis reads the way Python's ast does (escapes, indentation, raw strings)", () => {
    const source = [
      'def f():',
      '    """Tab\\there, a newline\\nand a quote \\" in   it."""',
      '    return 1',
      '',
      'class C:',
      "    r'''Raw \\d+ pattern,",
      '        indented second line.'
      + "'''",
      '    def m(self):',
      '        "Implicit " "concatenation\\u00e9."',
      '        x = 1',
      '        return x',
      '',
    ].join('\n');
    const defs = parsePythonSource(source, 'm.py').definitions;
    const ts = Object.fromEntries(defs.map((d) => [d.qualname, answerHash(normalizeAnswerText(d.docstring!.value))]));
    const py = python("print(json.dumps({q: doc for q, line, doc, body in definitions(data.encode('utf-8'))}))", source) as Record<string, string>;
    expect(Object.keys(py).sort()).toEqual(['C', 'C.m', 'f']);
    expect(py).toEqual(ts);
  });

  it('hashes function bodies from the first statement after the docstring to the end of the last', () => {
    const source = 'def f(a):\n    """Doc."""\n    if a:\n        return 1\n    return 2\n\ndef g():\n    pass\n';
    const py = python("print(json.dumps({q: body for q, line, doc, body in definitions(data.encode('utf-8'))}))", source) as Record<string, string>;
    expect(py.f).toBe(answerHash(normalizeAnswerText('if a:\n        return 1\n    return 2')));
    expect(py.g).toBe(answerHash('pass'));
  });
});
