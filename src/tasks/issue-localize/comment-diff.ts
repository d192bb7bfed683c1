import type { CodeToken } from '../../analysis/python/code-tokens.js';
import { commentView, firstDifference, isBlockMarker, type CommentView, type SourceComment } from '../comment-view.js';

/** A comment of the final file, placed on a line of the original one. */
export interface PlacedComment {
  text: string;
  /** 1-based line in the file it is in (the final file for added comments, the original for removed ones). */
  finalLine: number;
  /**
   * 1-based line of the original file the comment is about: the line of code it ends; for a comment
   * on its own line, the line of code below it, unless the comment is indented deeper than that
   * line (it then closes the block above: the line of code above it).
   */
  line: number;
}

export type CommentDiff =
  | { ok: true; added: PlacedComment[]; removed: PlacedComment[] }
  | { ok: false; line: number; originalLine: number };


/**
 * The comments added to and removed from a Python file whose code did not change (docstrings are
 * code here), each placed on a line of the original file; or where the code first differs.
 */
export function diffComments(before: string, after: string): CommentDiff {
  const a = commentView(before);
  const b = commentView(after);
  const diff = firstDifference(a.tokens, b.tokens);
  if (diff) return { ok: false, ...diff };
  const aTokens = a.tokens.filter((t) => !isBlockMarker(t));
  const bTokens = b.tokens.filter((t) => !isBlockMarker(t));
  // Equal code: the i-th token of one side is the i-th of the other, so rows translate through it.
  const original = place(a, before, aTokens, aTokens);
  const final = place(b, after, bTokens, aTokens);
  const key = (c: PlacedComment): string => `${c.line}\0${c.text}`;
  const left = new Map<string, PlacedComment[]>();
  for (const c of original) left.set(key(c), [...(left.get(key(c)) ?? []), c]);
  const added: PlacedComment[] = [];
  for (const c of final) {
    const same = left.get(key(c));
    if (same && same.length > 0) same.shift();
    else added.push(c);
  }
  const removed = [...left.values()].flat().sort((x, y) => x.finalLine - y.finalLine);
  return { ok: true, added, removed };
}

/** Each comment of `view`, placed through its own tokens onto the rows of `target` (the original's). */
function place(view: CommentView, text: string, own: CodeToken[], target: CodeToken[]): PlacedComment[] {
  const lines = text.split('\n');
  const indent = (row: number): number => /^[ \t]*/.exec(lines[row] ?? '')![0].replace(/\t/g, '        ').length;
  return view.comments.map((c: SourceComment) => {
    let i = c.ownLine ? firstAfter(own, c.row) : lastAtOrBefore(own, c.row);
    // `    # the bug is above` after a function's last line belongs to that function, not to the next `def`.
    if (c.ownLine && i > 0 && own[i]!.row > c.row && indent(c.row) > indent(own[i]!.row)) i = lastAtOrBefore(own, c.row);
    const at = target[Math.max(0, Math.min(i, target.length - 1))];
    return { text: c.text.trim(), finalLine: c.row + 1, line: (at?.row ?? c.row) + 1 };
  });
}

/** Index of the first token on a row after `row` (the last token when there is none). */
function firstAfter(tokens: CodeToken[], row: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.row > row) hi = mid;
    else lo = mid + 1;
  }
  return lo < tokens.length ? lo : tokens.length - 1;
}

/** Index of the last token on `row` or before it (the first token when there is none). */
function lastAtOrBefore(tokens: CodeToken[], row: number): number {
  return Math.max(0, firstAfter(tokens, row) - (tokens.length > 0 && tokens[tokens.length - 1]!.row <= row ? 0 : 1));
}
