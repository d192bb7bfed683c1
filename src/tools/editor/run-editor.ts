import { ToolInputError, outcome } from '../observation.js';
import type { EditorInput } from '../schemas.js';
import type { ToolContext, ToolOutcome } from '../types.js';
import { createFile, undoEdit } from './create-undo.js';
import { insertText, strReplace } from './edit.js';
import { absolutePath, statPath } from './paths.js';
import { viewPath } from './view.js';

/** Files larger than this are not opened by the editor (bash's head, sed -n and grep still work). */
export const MAX_EDITOR_FILE_BYTES = 10 * 1024 * 1024;

function required<T>(value: T | undefined, name: string, command: string): T {
  if (value === undefined) throw new ToolInputError(`Parameter \`${name}\` is required for command: ${command}.`);
  return value;
}

/** Run one `str_replace_editor` action: two or three sandbox round trips (inspect, read, write). */
export async function runEditor(input: EditorInput, ctx: ToolContext): Promise<ToolOutcome> {
  const { command } = input;
  const path = absolutePath(input.path, ctx);
  // Required parameters are checked before any round trip, so a malformed call costs nothing.
  const fileText = command === 'create' ? required(input.file_text, 'file_text', command) : undefined;
  const oldStr = command === 'str_replace' ? required(input.old_str, 'old_str', command) : undefined;
  const insertLine = command === 'insert' ? required(input.insert_line, 'insert_line', command) : undefined;
  const insertStr = command === 'insert' ? required(input.new_str, 'new_str', command) : undefined;

  const info = await statPath(ctx, path, command === 'view');
  if (info.kind === 'none' && command !== 'create') {
    throw new ToolInputError(`Invalid \`path\` parameter: ${path}. The path ${path} does not exist. Please provide a valid path.`);
  }
  if (info.kind === 'other') throw new ToolInputError(`The path ${path} is neither a regular file nor a directory.`);
  if (info.kind === 'dir' && command !== 'view') {
    throw new ToolInputError(
      `Invalid \`path\` parameter: ${path}. The path ${path} is a directory and only the \`view\` command can be used on directories.`,
    );
  }
  if (info.kind === 'file' && command !== 'create' && info.size > MAX_EDITOR_FILE_BYTES) {
    throw new ToolInputError(
      `The file ${path} is too large for the editor (${info.size} bytes, at most ${MAX_EDITOR_FILE_BYTES}). ` +
        'Look at parts of it with bash instead, for example `sed -n 100,200p` or `grep -n`.',
    );
  }
  if (command !== 'view' && command !== 'create' && !info.writable) throw new ToolInputError(`The file ${path} is not writable.`);

  let text: string;
  switch (command) {
    case 'view':
      text = await viewPath(ctx, path, info, input.view_range);
      break;
    case 'create':
      text = await createFile(ctx, path, fileText!, info);
      break;
    case 'str_replace':
      text = await strReplace(ctx, path, oldStr!, input.new_str ?? '', info.mode);
      break;
    case 'insert':
      text = await insertText(ctx, path, insertLine!, insertStr!, info.mode);
      break;
    case 'undo_edit':
      text = await undoEdit(ctx, path, info);
      break;
  }
  return outcome(text);
}
