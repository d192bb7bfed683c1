import { describe, expect, it } from 'vitest';
import { findNeedles } from '../../../../src/tasks/func-localize/find-needles.js';
import { seededRandom } from '../../../../src/util/seeded-random.js';

/** What findNeedles must agree with: every text searched for every needle. */
function naive(texts: Buffer[], needles: Buffer[]): number[][] {
  return needles.map((n) => texts.flatMap((t, i) => (t.includes(n) ? [i] : [])));
}

describe('findNeedles', () => {
  it('finds what searching every text for every needle finds: short and long needles, at the ends, overlapping, multi-byte', () => {
    const texts = ['Return the sum of a and b. Return the sum of a and c.', 'ünïcode dócstring at the very end', 'x', '', 'Return the sum of a and b.'].map((s) => Buffer.from(s));
    const needles = ['Return the sum of a and b.', 'Return the sum of a and c.', 'sum of a and', 'ünïcode dócstring at the very end', 'the very end', 'x', 'not anywhere at all, long', 'Return the sum of a and d.'].map((s) => Buffer.from(s));
    expect(findNeedles(texts, needles)).toEqual(naive(texts, needles));
    expect(findNeedles(texts, needles)[0]).toEqual([0, 4]);
  });

  it('agrees with the naive search on random texts over a small alphabet (many shared prefixes and hash hits)', () => {
    const rand = seededRandom(11);
    const word = (n: number): string => Array.from({ length: n }, () => 'ab c'[Math.floor(rand() * 4)]).join('');
    const texts = Array.from({ length: 30 }, () => Buffer.from(word(2000)));
    // Needles cut out of the texts (present) and made up (mostly absent), 1 to 40 bytes.
    const needles = Array.from({ length: 400 }, (_, i) => {
      const len = 1 + Math.floor(rand() * 40);
      if (i % 2) return Buffer.from(word(len));
      const t = texts[Math.floor(rand() * texts.length)]!;
      const at = Math.floor(rand() * (t.length - len));
      return t.subarray(at, at + len);
    });
    expect(findNeedles(texts, needles)).toEqual(naive(texts, needles));
  });
});
