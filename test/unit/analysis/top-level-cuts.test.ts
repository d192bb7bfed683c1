import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePython } from '../../../src/analysis/python/parser.js';
import { strippedOf } from '../../../src/analysis/python/source.js';
import { topLevelCuts } from '../../../src/analysis/python/top-level-cuts.js';
import { largePython } from '../../support/large-python.js';

/** The lines (1-based) where the cuts after 0 fall. */
const cutLines = (text: string): number[] => topLevelCuts(text).slice(1).map((c) => text.slice(0, c).split('\n').length);

/**
 * What the verifiers rely on: every cut falls between two top-level statements of the whole
 * file's syntax tree, every block parses on its own without errors, and the blocks' code side by
 * side is the file's code.
 */
function expectSound(text: string, where = ''): void {
  const whole = parsePython(text);
  const cuts = topLevelCuts(text);
  for (const c of cuts.slice(1)) {
    const straddles = whole.root.children.find((k) => k.start < c && k.end > c);
    expect(straddles?.type ?? null, `${where} cut at line ${text.slice(0, c).split('\n').length}`).toBeNull();
  }
  if (whole.hasErrors) return;
  const blocks = cuts.map((c, k) => text.slice(c, cuts[k + 1] ?? text.length));
  const parsed = blocks.map((b) => parsePython(b));
  expect(parsed.map((p) => p.hasErrors).indexOf(true), where).toBe(-1);
  expect(parsed.map((p) => strippedOf(p)).join(' ').replace(/\s+/g, ' ').trim(), where).toBe(strippedOf(whole).replace(/\s+/g, ' ').trim());
}

describe('topLevelCuts', () => {
  it('cuts before top-level definitions, with the comment lines right above them', () => {
    const text = ['import os', '', '# about f', 'def f():', '    return 1', '    # the end of f', '', '@dec', '# between', 'class C:', '    def m(self):', '        pass', 'async def g():', '    pass', 'x = 1', ''].join('\n');
    expect(cutLines(text)).toEqual([2, 7, 13]);
    expectSound(text);
  });

  it('does not cut inside strings, brackets or continued lines, nor after a decorator', () => {
    const text = [
      'x = """', 'def in_string():', '    pass', '"""', 'y = (', 'def', ')', 'z = 1 + \\', '  2', '@a', '@b', 'def f(): pass', "s = f'{x:#x}'  # a format spec's #",
      'def g(): pass', 'define = 1', 'classy = 2', '',
    ].join('\n');
    expect(cutLines(text)).toEqual([10, 14]);
    expectSound(text);
  });

  it('stops cutting where it might read the text otherwise than tree-sitter', () => {
    const pep701 = ['def a(): pass', 'v = f"{d["key"]}"', 'def b(): pass', ''].join('\n');
    expect(cutLines(pep701)).toEqual([]);
    const loneCr = 'def a(): pass\rdef b(): pass\ndef c(): pass\n';
    expect(topLevelCuts(loneCr)).toEqual([0]);
    const unterminated = ['def a(): pass', 's = "open', 'def b(): pass', ''].join('\n');
    expect(cutLines(unterminated)).toEqual([]);
    const stray = ['def a(): pass', ')', 'def b(): pass', ''].join('\n');
    expect(cutLines(stray)).toEqual([]);
  });

  it('reads CRLF files like LF ones', () => {
    const lf = largePython(20_000);
    const crlf = lf.replace(/\n/g, '\r\n');
    expect(cutLines(crlf)).toEqual(cutLines(lf));
    expect(cutLines(lf).length).toBeGreaterThan(20);
    expectSound(crlf, 'crlf');
  });

  it('is sound on generated code', () => {
    const text = largePython(60_000, { seed: 7 });
    expect(topLevelCuts(text).length).toBeGreaterThan(50);
    expectSound(text);
  });

  // The standard library as a corpus (when this machine has it): hundreds of real modules.
  const stdlib = '/usr/lib/python3.11';
  it.runIf(existsSync(stdlib))('is sound on the standard library', () => {
    const files = readdirSync(stdlib).filter((f) => f.endsWith('.py')).map((f) => path.join(stdlib, f)).filter((f, k) => k % 4 === 0 && statSync(f).size < 150_000);
    let cuts = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      cuts += topLevelCuts(text).length;
      expectSound(text, f);
    }
    expect(cuts).toBeGreaterThan(files.length * 3);
  });
});
