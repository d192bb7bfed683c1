import { ToolInputError } from '../observation.js';
import type { ToolContext } from '../types.js';
import { writeText } from './file-io.js';
import type { PathInfo } from './paths.js';
import { numberLines, splitLines } from './text.js';

/** `create`: write a new file; an existing file is never overwritten (as in OpenHands). */
export async function createFile(ctx: ToolContext, path: string, fileText: string, info: PathInfo): Promise<string> {
  if (info.kind === 'file') {
    throw new ToolInputError(
      `Invalid \`path\` parameter: ${path}. File already exists at: ${path}. Cannot overwrite files using command \`create\`; ` +
        'edit it with `str_replace` or `insert` instead.',
    );
  }
  if (!info.parentIsDir) throw new ToolInputError(`Cannot create ${path}: one of its parent paths is a file, not a directory.`);
  if (!info.writable) throw new ToolInputError(`Cannot create ${path}: its directory is not writable.`);
  await writeText(ctx, path, { text: fileText, crlf: false });
  return `File created successfully at: ${path}`;
}

/** `undo_edit`: put back the content the file had before its last `str_replace` or `insert`. */
export async function undoEdit(ctx: ToolContext, path: string, info: PathInfo): Promise<string> {
  const history = ctx.editHistory.get(path);
  const previous = history?.pop();
  if (previous === undefined) throw new ToolInputError(`No edit history found for ${path}.`);
  if (history!.length === 0) ctx.editHistory.delete(path);
  await writeText(ctx, path, { text: previous, crlf: false }, info.mode);
  const lines = splitLines(previous.replace(/\r\n/g, '\n'));
  return `Last edit to ${path} undone successfully. Here's the result of running \`cat -n\` on ${path}:\n${numberLines(lines)}`;
}
