import { walkCode, type CodeToken } from '../analysis/python/code-tokens.js';
import { parsePython, type ParsedSource } from '../analysis/python/parser.js';

export type { CodeToken };

/** Whether a token is one of the walk's block markers (`{`, `}`, newline), which carry rows of their own, not code. */
export const isBlockMarker = (t: CodeToken): boolean => t.text === '{' || t.text === '}' || t.text === '\n';

/** A comment of the source: its text, 0-based row, and whether it is alone on its line. */
export interface SourceComment {
  text: string;
  row: number;
  ownLine: boolean;
}

export interface CommentView {
  /** The code without comments, docstrings kept: equal token lists mean the same code up to comments and formatting. */
  tokens: CodeToken[];
  comments: SourceComment[];
  /** 0-based rows that hold nothing but a comment. */
  commentRows: Set<number>;
  hasErrors: boolean;
}

/**
 * Splits Python source into code tokens and comments. Like `stripDocstringsAndComments` in the
 * analysis layer (the same walk), but docstrings stay: adding or editing one is a code change here.
 */
export function commentView(source: string): CommentView {
  return commentViewOf(parsePython(source));
}

/** `commentView` of a text already parsed. */
export function commentViewOf({ root, text, hasErrors }: ParsedSource): CommentView {
  const tokens: CodeToken[] = [];
  const comments: SourceComment[] = [];
  const commentRows = new Set<number>();
  walkCode(root, text, new Set(), (t) => tokens.push(t), (n) => {
    const ownLine = text.slice(text.lastIndexOf('\n', n.start - 1) + 1, n.start).trim() === '';
    comments.push({ text: text.slice(n.start, n.end), row: n.row, ownLine });
    if (ownLine) commentRows.add(n.row);
  });
  comments.sort((a, b) => a.row - b.row);
  return { tokens, comments, commentRows, hasErrors };
}

/** The first place two token lists differ, as 1-based lines of each side; null when they are equal. */
export function firstDifference(before: CodeToken[], after: CodeToken[]): { line: number; originalLine: number } | null {
  const n = Math.min(before.length, after.length);
  for (let i = 0; i < n; i++) {
    if ((before[i] as CodeToken).text !== (after[i] as CodeToken).text) {
      return { line: (after[i] as CodeToken).row + 1, originalLine: (before[i] as CodeToken).row + 1 };
    }
  }
  if (before.length === after.length) return null;
  const last = (xs: CodeToken[], i: number): number => (xs[Math.min(i, xs.length - 1)]?.row ?? 0) + 1;
  return { line: last(after, n), originalLine: last(before, n) };
}
