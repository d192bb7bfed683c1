/** Needles at least this many bytes long are found by their first bytes' rolling hash; shorter ones one at a time. */
const PREFIX = 12;
const BASE = 0x01000193;
/** A bit per hash value's top 24 bits: most positions are ruled out without a map lookup. */
const FILTER_BITS = 24;

/**
 * Which texts hold each needle: for every needle, the indexes of the texts it occurs in, in text
 * order. One pass over the texts for all the needles of at least {@link PREFIX} bytes (a
 * Rabin-Karp hash of each needle's first bytes, each hit compared in full), one search per text
 * for each shorter needle. The same answers as searching every text for every needle.
 */
export function findNeedles(texts: readonly Buffer[], needles: readonly Buffer[]): number[][] {
  const found: number[][] = needles.map(() => []);
  const short = needles.flatMap((n, id) => (n.length < PREFIX ? [id] : []));
  const long = new Map<number, number[]>();
  const filter = new Uint8Array(1 << (FILTER_BITS - 3));
  needles.forEach((n, id) => {
    if (n.length < PREFIX) return;
    const h = hashOf(n, 0, PREFIX);
    const ids = long.get(h);
    if (ids) ids.push(id);
    else long.set(h, [id]);
    const slot = h >>> (32 - FILTER_BITS);
    filter[slot >>> 3]! |= 1 << (slot & 7);
  });
  let outFactor = 1;
  for (let i = 0; i < PREFIX - 1; i++) outFactor = Math.imul(outFactor, BASE);
  const seen = new Int32Array(needles.length).fill(-1);
  texts.forEach((text, t) => {
    for (const id of short) if (text.includes(needles[id]!)) found[id]!.push(t);
    if (long.size === 0 || text.length < PREFIX) return;
    let h = hashOf(text, 0, PREFIX);
    for (let end = PREFIX; ; end++) {
      const slot = h >>> (32 - FILTER_BITS);
      if (filter[slot >>> 3]! & (1 << (slot & 7))) {
        const start = end - PREFIX;
        for (const id of long.get(h) ?? []) {
          const n = needles[id]!;
          if (seen[id] !== t && start + n.length <= text.length && text.compare(n, 0, n.length, start, start + n.length) === 0) {
            seen[id] = t;
            found[id]!.push(t);
          }
        }
      }
      if (end >= text.length) break;
      h = (Math.imul(h - Math.imul(text[end - PREFIX]!, outFactor), BASE) + text[end]!) | 0;
    }
  });
  return found;
}

function hashOf(b: Buffer, from: number, length: number): number {
  let h = 0;
  for (let i = from; i < from + length; i++) h = (Math.imul(h, BASE) + b[i]!) | 0;
  return h;
}
