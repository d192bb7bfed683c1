import { topLevelCuts } from '../analysis/python/top-level-cuts.js';

/** A piece of a source text: whole top-level statements (see `topLevelCuts`). */
export interface Block {
  text: string;
  /** Offset of its first character in the file's text. */
  start: number;
  /** 0-based row of its first line in the file. */
  row: number;
}

/**
 * Corresponding pieces of two versions of a file, in order: together the `before` blocks make the
 * before text and the `after` blocks the after text. `same` segments have equal text.
 */
export interface Segment {
  before: Block;
  after: Block;
  same: boolean;
}

/** The text cut at its top-level cuts, each block with its row. */
export function blocksOf(text: string): Block[] {
  const cuts = topLevelCuts(text);
  const blocks: Block[] = [];
  let row = 0;
  let at = 0;
  for (let k = 0; k < cuts.length; k++) {
    const start = cuts[k]!;
    for (let nl = text.indexOf('\n', at); nl >= 0 && nl < start; nl = text.indexOf('\n', nl + 1)) row++;
    at = start;
    blocks.push({ text: text.slice(start, cuts[k + 1] ?? text.length), start, row });
  }
  return blocks;
}

const join = (blocks: Block[]): Block => ({ text: blocks.map((b) => b.text).join(''), start: blocks[0]!.start, row: blocks[0]!.row });

/**
 * Pairs the blocks of two versions: equal blocks at the start and at the end are kept as they are;
 * between them, as many blocks on each side are paired one to one, otherwise the two middles are
 * one segment. Comparing the changed segments, each parsed on its own, compares the files: every
 * block starts where the tokenizer is fresh (see `topLevelCuts`).
 */
export function alignBlocks(before: string, after: string): Segment[] {
  const b = blocksOf(before);
  const a = blocksOf(after);
  let head = 0;
  while (head < b.length && head < a.length && b[head]!.text === a[head]!.text) head++;
  let tail = 0;
  while (tail < b.length - head && tail < a.length - head && b[b.length - 1 - tail]!.text === a[a.length - 1 - tail]!.text) tail++;
  const out: Segment[] = [];
  for (let k = 0; k < head; k++) out.push({ before: b[k]!, after: a[k]!, same: true });
  const mb = b.slice(head, b.length - tail);
  const ma = a.slice(head, a.length - tail);
  if (mb.length === ma.length) {
    for (let k = 0; k < mb.length; k++) out.push({ before: mb[k]!, after: ma[k]!, same: mb[k]!.text === ma[k]!.text });
  } else {
    // A side may be empty (blocks only added or only removed): an empty block where the other starts.
    const at = (side: Block[], all: Block[], text: string): Block =>
      side.length > 0 ? join(side) : { text: '', start: all[head]?.start ?? text.length, row: all[head]?.row ?? rowAt(text, text.length) };
    out.push({ before: at(mb, b, before), after: at(ma, a, after), same: false });
  }
  for (let k = tail; k > 0; k--) out.push({ before: b[b.length - k]!, after: a[a.length - k]!, same: true });
  return out;
}

function rowAt(text: string, offset: number): number {
  let row = 0;
  for (let nl = text.indexOf('\n'); nl >= 0 && nl < offset; nl = text.indexOf('\n', nl + 1)) row++;
  return row;
}
