import { ToolInputError } from '../observation.js';

/** A text file's content with its line-ending style, so edits keep CRLF files CRLF. */
export interface TextFile {
  /** The content with line endings normalised to \n. */
  text: string;
  crlf: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decode a file as UTF-8 text; null when it is binary (holds NUL bytes or is not valid UTF-8). */
export function decodeText(data: Uint8Array): TextFile | null {
  if (data.includes(0)) return null;
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return null;
  }
  // CRLF only when every line break is one; mixed files are left byte for byte as they are.
  const crlf = text.includes('\r\n') && !/(^|[^\r])\n/.test(text);
  return { text: crlf ? text.replace(/\r\n/g, '\n') : text, crlf };
}

export function decodeOrThrow(data: Uint8Array, path: string): TextFile {
  const file = decodeText(data);
  if (!file) {
    throw new ToolInputError(
      `The file ${path} appears to be binary (it holds NUL bytes or is not valid UTF-8 text); str_replace_editor only ` +
        'views and edits text files. Inspect it with bash instead (for example `file` or `xxd | head`).',
    );
  }
  return file;
}

export function encodeText(file: TextFile): string {
  return file.crlf ? file.text.replace(/\n/g, '\r\n') : file.text;
}

/** The file's lines as `cat -n` counts them: a final newline does not start another line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

/** Lines numbered like `cat -n`, the first being number `firstLine`. */
export function numberLines(lines: readonly string[], firstLine = 1): string {
  return lines.map((line, i) => `${String(i + firstLine).padStart(6)}\t${line}`).join('\n');
}

/** Lines `from`..`to` (1-based, inclusive, clamped to the file) numbered like `cat -n`. */
export function snippet(text: string, from: number, to: number): string {
  const lines = splitLines(text);
  const start = Math.max(1, from);
  const end = Math.min(lines.length, to);
  return numberLines(lines.slice(start - 1, end), start);
}

/** 1-based line on which character offset `index` lies. */
export function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Text for a message: long strings are shortened so an error does not flood the context. */
export function quote(text: string, max = 400): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters in all)`;
}
