import { ToolInputError } from '../observation.js';
import type { ToolContext } from '../types.js';
import { pushHistory, readText, writeText } from './file-io.js';
import { encodeText, lineAt, quote, snippet, splitLines } from './text.js';

/** Lines of context shown above and below an edit. */
const CONTEXT_LINES = 4;

function occurrences(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) found.push(i);
  return found;
}

/** `str_replace`: replace the one occurrence of `oldStr` with `newStr`. */
export async function strReplace(ctx: ToolContext, path: string, oldStr: string, newStr: string, mode?: number): Promise<string> {
  if (oldStr === '') {
    throw new ToolInputError('`old_str` must not be empty. To add text without replacing any, use the `insert` command.');
  }
  if (oldStr === newStr) {
    throw new ToolInputError('No replacement was performed. `new_str` and `old_str` must be different.');
  }
  const file = await readText(ctx, path);
  // A model may copy CRLF text from elsewhere: match on \n line endings, as the file is held.
  const needle = oldStr.replace(/\r\n/g, '\n');
  const found = occurrences(file.text, needle);
  if (found.length === 0) {
    let hint = '';
    const trimmed = needle.trim();
    if (trimmed !== '' && trimmed !== needle && occurrences(file.text, trimmed).length > 0) {
      hint = ' It does occur when its leading and trailing whitespace is left out: check its indentation and line breaks.';
    }
    throw new ToolInputError(`No replacement was performed, old_str \`${quote(oldStr)}\` did not appear verbatim in ${path}.${hint}`);
  }
  if (found.length > 1) {
    const lines = [...new Set(found.map((i) => lineAt(file.text, i)))];
    throw new ToolInputError(
      `No replacement was performed. Multiple occurrences of old_str \`${quote(oldStr)}\` in lines ${lines.join(', ')}. ` +
        'Please ensure it is unique: include more surrounding lines.',
    );
  }
  const at = found[0]!;
  const replacement = newStr.replace(/\r\n/g, '\n');
  const text = file.text.slice(0, at) + replacement + file.text.slice(at + needle.length);
  pushHistory(ctx, path, encodeText(file));
  await writeText(ctx, path, { text, crlf: file.crlf }, mode);
  const first = lineAt(text, at);
  const last = first + replacement.split('\n').length - 1;
  return (
    `The file ${path} has been edited. Here's the result of running \`cat -n\` on a snippet of ${path}:\n` +
    `${snippet(text, first - CONTEXT_LINES, last + CONTEXT_LINES)}\n` +
    'Review the changes and make sure they are as expected. Edit the file again if necessary.'
  );
}

/** `insert`: put `newStr` after line `insertLine` (0 = before the first line). */
export async function insertText(ctx: ToolContext, path: string, insertLine: number, newStr: string, mode?: number): Promise<string> {
  const file = await readText(ctx, path);
  const lines = splitLines(file.text);
  if (insertLine < 0 || insertLine > lines.length) {
    throw new ToolInputError(
      `Invalid \`insert_line\` parameter: ${insertLine}. It should be within the range of lines of the file: [0, ${lines.length}].`,
    );
  }
  // A final newline in new_str ends its last line rather than adding an empty one.
  const body = newStr.replace(/\r\n/g, '\n');
  const added = (body.endsWith('\n') ? body.slice(0, -1) : body).split('\n');
  const endsWithNewline = file.text === '' || file.text.endsWith('\n');
  const merged = [...lines.slice(0, insertLine), ...added, ...lines.slice(insertLine)];
  const text = merged.join('\n') + (endsWithNewline ? '\n' : '');
  pushHistory(ctx, path, encodeText(file));
  await writeText(ctx, path, { text, crlf: file.crlf }, mode);
  return (
    `The file ${path} has been edited. Here's the result of running \`cat -n\` on a snippet of the edited file:\n` +
    `${snippet(text, insertLine + 1 - CONTEXT_LINES, insertLine + added.length + CONTEXT_LINES)}\n` +
    'Review the changes and make sure they are as expected (correct indentation, no duplicate lines, etc). Edit the file again if necessary.'
  );
}
