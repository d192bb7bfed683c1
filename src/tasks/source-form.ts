import { codingDeclaration, cpythonDecoding } from '../analysis/python/compile-check.js';

/**
 * The two ways a file can read differently to CPython than to the syntax tree the checks look at:
 * a coding declaration (`# coding: utf-7` or `unicode_escape` turn the text of a comment into code
 * when CPython decodes the file) and a carriage return that does not end a line (`\r` alone is a
 * line break to CPython, not to tree-sitter: code after it in a comment runs).
 */
export function sourceForm(bytes: Buffer): { decoding: string; loneCarriageReturns: number } {
  const declared = codingDeclaration(bytes);
  const decoding = cpythonDecoding(declared) ?? `codec ${declared}`;
  return { decoding: decoding === 'tokenizer' ? 'utf_8' : decoding, loneCarriageReturns: bytes.toString('latin1').match(/\r(?!\n)/g)?.length ?? 0 };
}

/** Whether a candidate file reads the same to CPython and to the checks: UTF-8, lines ended by `\n` or `\r\n`. */
export function plainSource(bytes: Buffer): boolean {
  const f = sourceForm(bytes);
  return f.decoding === 'utf_8' && f.loneCarriageReturns === 0;
}

/** What an edit did to how CPython reads the file, or null when it reads it as the checks do. */
export function sourceFormChange(before: Buffer, after: Buffer): string | null {
  const b = sourceForm(before);
  const a = sourceForm(after);
  if (a.decoding !== b.decoding) return `the coding declaration changed (CPython would decode the file as ${a.decoding}, so comments could hold code)`;
  if (a.loneCarriageReturns > b.loneCarriageReturns) return 'a carriage return that does not end a line (CPython reads it as a line break, so a comment could hold code)';
  return null;
}
