import type { PyNode } from './parser.js';

/** One token of code: its text and 0-based row. Block markers (`{`, `}`, newline) carry the row where they occur. */
export interface CodeToken {
  text: string;
  row: number;
}

/** Extras that are formatting, not code. */
const IGNORED = new Set(['comment', 'line_continuation']);

/**
 * Walk a syntax tree in source order and emit its code tokens, with blocks as `{`, newlines and
 * `}` so that equal token lists mean the same code up to formatting. Comments go to `onComment`;
 * nodes in `skip` (docstrings, say) vanish. Iterative: deeply nested expressions are common.
 */
export function walkCode(
  root: PyNode,
  text: string,
  skip: ReadonlySet<PyNode>,
  onToken: (token: CodeToken) => void,
  onComment?: (comment: PyNode) => void,
): void {
  const stack: (PyNode | CodeToken)[] = [root];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (!('type' in item)) {
      onToken(item);
      continue;
    }
    const n = item;
    if (n.type === 'comment') {
      onComment?.(n);
      continue;
    }
    if (n.type === 'line_continuation') continue;
    if (n.children.length === 0 || n.type === 'string_content' || n.type === 'escape_sequence') {
      onToken({ text: text.slice(n.start, n.end), row: n.row });
      continue;
    }
    const isBlock = n.type === 'block' || n.type === 'module';
    const parts: (PyNode | CodeToken)[] = [];
    if (n.type === 'block') parts.push({ text: '{', row: n.row });
    for (const c of n.children) {
      if (skip.has(c)) continue;
      parts.push(c);
      if (isBlock && !IGNORED.has(c.type)) parts.push({ text: '\n', row: c.endRow });
    }
    if (n.type === 'block') parts.push({ text: '}', row: n.endRow });
    for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i] as PyNode | CodeToken);
  }
}
