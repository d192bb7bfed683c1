import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexRepo } from '../../../../src/analysis/index.js';
import type { Definition } from '../../../../src/analysis/types.js';
import type { Candidate } from '../../../../src/tasks/func-localize/candidate-cache.js';
import { CandidateWalk } from '../../../../src/tasks/func-localize/candidate-walk.js';
import { estimateCandidates } from '../../../../src/tasks/func-localize/estimate-candidates.js';

describe('estimateCandidates', () => {
  it('counts definitions whose body begins with a string, whatever the header looks like', () => {
    const text = [
      'def one():',
      '    """Doc."""',
      'async def two(a, b={"k": (1, 2)}, c=lambda x: x) -> "dict[str, int]":',
      '    # a comment first',
      '',
      "    r'''Raw doc.'''",
      '@decorated',
      'class Three(Base, metaclass=Meta):  # trailing: comment',
      '    u"doc"',
      'def four(',
      '    x: int = 1,',
      '    y="):",',
      '): """One line."""',
      'def five(): pass',
      'def six():',
      '    return "not a docstring"',
      "def seven():\\",
      '',
      '    b"bytes are not docstrings"',
      '  def nested(self):',
      '      """Nested definitions count too."""',
      'def eight():\\',
      '    """A body continued onto the next line."""',
      'def nine():',
      '    \\',
      '    """After a line holding only a backslash."""',
      'def ten():\\',
      '    """CRLF line ends."""',
    ].join('\n').replace('ten():\\\n', 'ten():\\\r\n');
    expect(estimateCandidates(text)).toBe(8);
  });

  it('is never below the analysis on real code (so the seeded order gives every candidate its place)', async () => {
    const root = '/usr/lib/python3.11';
    const files = ['json/__init__.py', 'json/decoder.py', 'argparse.py', 'textwrap.py', 'email/message.py', 'dataclasses.py', 'typing.py', 'inspect.py'];
    const index = await indexRepo(root, { calls: false, cache: false, include: (f) => files.includes(f) });
    for (const f of files) {
      const real = index.definitionsIn(f).filter((d) => d.docstring && !d.qualname.includes('<locals>')).length;
      const estimate = estimateCandidates(await readFile(join(root, f), 'utf8'));
      expect(real, f).toBeGreaterThan(0);
      expect(estimate, f).toBeGreaterThanOrEqual(real);
      expect(estimate, f).toBeLessThanOrEqual(real + Math.ceil(real / 10) + 2);
    }
  });
});

/** Fake candidates: pure logic (which file holds how many), no analysis needed. */
function candidatesOf(file: string, n: number): Candidate[] {
  return Array.from({ length: n }, (_, k) => ({ def: { id: `${file}#${k}`, file } as Definition, occurrence: k }));
}

function walkOver(real: Record<string, number>, estimates: Record<string, number>, seed = 1, firstBatch = 4) {
  const loads: string[][] = [];
  const walk = new CandidateWalk(new Map(Object.entries(estimates)), seed, async (files) => {
    loads.push(files);
    return new Map(files.map((f) => [f, candidatesOf(f, real[f] ?? 0)]));
  }, firstBatch);
  const read = async (upTo = Infinity): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < upTo; i++) {
      const c = await walk.at(i);
      if (c === undefined) break;
      if (c) ids.push(c.def.id);
    }
    return ids;
  };
  return { walk, loads, read };
}

describe('CandidateWalk', () => {
  const real = { 'a.py': 3, 'b.py': 5, 'c.py': 0, 'd.py': 2, 'e.py': 4 };
  const all = Object.entries(real).flatMap(([f, n]) => Array.from({ length: n }, (_, k) => `${f}#${k}`)).sort();

  it('visits every candidate once, even those beyond a file estimate or in files estimated at none', async () => {
    const { read } = walkOver(real, { 'a.py': 3, 'b.py': 2, 'c.py': 1, 'd.py': 0, 'e.py': 6 });
    const ids = await read();
    expect([...ids].sort()).toEqual(all);
  });

  it('gives the same order for the same seed however the candidates are found, and another for another seed', async () => {
    const exact = Object.fromEntries(Object.entries(real));
    const a = await walkOver(real, exact, 7, 2).read();
    const b = await walkOver(real, exact, 7, 64).read();
    expect(b).toEqual(a);
    expect(await walkOver(real, exact, 8, 2).read()).not.toEqual(a);
  });

  it('indexes only the files the walk reaches, a batch of places at a time', async () => {
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`m${String(i).padStart(2, '0')}.py`, 3]));
    const { read, loads } = walkOver(many, many, 1, 4);
    await read(4);
    expect(loads).toHaveLength(1);
    expect(loads[0]!.length).toBeLessThanOrEqual(4);
    expect(new Set(loads.flat()).size).toBeLessThan(40);
  });

  it('puts a file\'s unexpected candidates after the places already read, never before', async () => {
    const { walk, read } = walkOver({ 'a.py': 6, 'b.py': 6 }, { 'a.py': 1, 'b.py': 6 }, 3, 1);
    const firstTwo = await read(2);
    const rest = await read();
    // Reading again from the start gives what was read first, then the rest: nothing moved before it.
    expect(rest.slice(0, firstTwo.length)).toEqual(firstTwo);
    expect(new Set(rest).size).toBe(12);
    expect(walk.filesLoaded).toBe(2);
  });
});
