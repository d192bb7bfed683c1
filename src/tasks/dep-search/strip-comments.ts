import { parsePython, type PyNode } from '../../analysis/python/parser.js';

/** One token of code: its text and 0-based row. Block markers (`{`, `}`, newline) carry the row where they occur. */
export interface CodeToken {
  text: string;
  row: number;
}

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

/** Extras that are formatting, not code. */
const IGNORED = new Set(['comment', 'line_continuation']);

/**
 * Splits Python source into code tokens and comments. Like `stripDocstringsAndComments` in the
 * analysis layer, but docstrings stay: adding or editing one is a code change for this task.
 */
export function commentView(source: string): CommentView {
  const { root, text, hasErrors } = parsePython(source);
  const tokens: CodeToken[] = [];
  const comments: SourceComment[] = [];
  const commentRows = new Set<number>();
  const lineStart = (i: number): number => text.lastIndexOf('\n', i - 1) + 1;
  const stack: (PyNode | CodeToken)[] = [root];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (!('type' in item)) {
      tokens.push(item);
      continue;
    }
    const n = item;
    if (n.type === 'comment') {
      const ownLine = text.slice(lineStart(n.start), n.start).trim() === '';
      comments.push({ text: text.slice(n.start, n.end), row: n.row, ownLine });
      if (ownLine) commentRows.add(n.row);
      continue;
    }
    if (n.type === 'line_continuation') continue;
    if (n.children.length === 0 || n.type === 'string_content' || n.type === 'escape_sequence') {
      tokens.push({ text: text.slice(n.start, n.end), row: n.row });
      continue;
    }
    const isBlock = n.type === 'block' || n.type === 'module';
    const parts: (PyNode | CodeToken)[] = [];
    if (n.type === 'block') parts.push({ text: '{', row: n.row });
    for (const c of n.children) {
      // Comments inside a string_content-like leaf cannot exist; elsewhere they are collected above.
      parts.push(c);
      if (isBlock && !IGNORED.has(c.type)) parts.push({ text: '\n', row: c.endRow });
    }
    if (n.type === 'block') parts.push({ text: '}', row: n.endRow });
    for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i] as PyNode | CodeToken);
  }
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
