import type { Definition } from '../../analysis/types.js';

/** Where a docstring sits in a file, as offsets into the text and its lines. */
export interface DocstringSpan {
  startIndex: number;
  endIndex: number;
  /** The docstring is the whole body: a placeholder keeps the file valid Python. */
  only: boolean;
}

/**
 * Whether a definition's docstring can be removed cleanly: it starts the body on a line of its own
 * and nothing but whitespace follows it on its last line. (`def f(): """doc"""` one-liners are not.)
 */
export function maskable(def: Definition, text: string): boolean {
  const d = def.docstring;
  if (!d || d.concatenated) return false;
  if (d.line !== def.bodyLine || d.line <= def.line) return false;
  const lineStart = text.lastIndexOf('\n', d.startIndex - 1) + 1;
  if (text.slice(lineStart, d.startIndex).trim() !== '') return false;
  const lineEnd = nextLineEnd(text, d.endIndex);
  return text.slice(d.endIndex, lineEnd).trim() === '';
}

/**
 * Remove docstrings from a source text: each span's whole lines go; a docstring that was the whole
 * body becomes `pass` at its indentation. Spans are applied from the bottom up.
 */
export function removeDocstrings(text: string, spans: readonly DocstringSpan[]): string {
  let out = text;
  for (const s of [...spans].sort((a, b) => b.startIndex - a.startIndex)) {
    const lineStart = out.lastIndexOf('\n', s.startIndex - 1) + 1;
    const indent = out.slice(lineStart, s.startIndex);
    let end = nextLineEnd(out, s.endIndex);
    if (out[end] === '\n') end++;
    else if (out.slice(end, end + 2) === '\r\n') end += 2;
    const eol = /\r\n/.test(out.slice(lineStart, end)) ? '\r\n' : '\n';
    out = out.slice(0, lineStart) + (s.only ? `${indent}pass${eol}` : '') + out.slice(end);
  }
  return out;
}

function nextLineEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  const end = nl < 0 ? text.length : nl;
  return text[end - 1] === '\r' ? end - 1 : end;
}
