import { ToolInputError } from '../observation.js';
import type { ToolContext } from '../types.js';
import { readText } from './file-io.js';
import type { PathInfo } from './paths.js';
import { numberLines, splitLines } from './text.js';

function listDirectory(path: string, info: PathInfo): string {
  const lines = [`Here's the files and directories up to 2 levels deep in ${path}, excluding hidden items:`, `${path}/`.replace(/\/\/$/, '/')];
  lines.push(...(info.listing ?? []));
  if (info.hidden) {
    lines.push('', `${info.hidden} hidden files/directories in this directory are excluded. You can use 'ls -la ${path}' to see them.`);
  }
  return lines.join('\n');
}

function checkRange(range: readonly number[], total: number, path: string): [number, number] {
  const shown = `[${range.join(', ')}]`;
  if (range.length !== 2) {
    throw new ToolInputError(`Invalid \`view_range\` parameter: ${shown}. It should be a list of two integers, [start, end].`);
  }
  const [start, end] = range as [number, number];
  if (total === 0) throw new ToolInputError(`The file ${path} is empty; view it without \`view_range\`.`);
  if (start < 1 || start > total) {
    throw new ToolInputError(
      `Invalid \`view_range\` parameter: ${shown}. Its first element \`${start}\` should be within the range of lines of the file: [1, ${total}].`,
    );
  }
  if (end === -1) return [start, total];
  if (end > total) {
    throw new ToolInputError(
      `Invalid \`view_range\` parameter: ${shown}. Its second element \`${end}\` should not be larger than the number of lines in the file: \`${total}\` (use -1 to view to the end).`,
    );
  }
  if (end < start) {
    throw new ToolInputError(
      `Invalid \`view_range\` parameter: ${shown}. Its second element \`${end}\` should be larger than or equal to its first \`${start}\`.`,
    );
  }
  return [start, end];
}

/** `view`: a directory listing, or a file numbered like `cat -n` (all of it, or `viewRange`). */
export async function viewPath(ctx: ToolContext, path: string, info: PathInfo, viewRange?: readonly number[]): Promise<string> {
  if (info.kind === 'dir') {
    if (viewRange) {
      throw new ToolInputError(
        `Invalid \`view_range\` parameter: [${viewRange.join(', ')}]. The \`view_range\` parameter is not allowed when \`path\` points to a directory.`,
      );
    }
    return listDirectory(path, info);
  }
  const lines = splitLines((await readText(ctx, path)).text);
  const header = `Here's the result of running \`cat -n\` on ${path}:`;
  if (!viewRange) return lines.length === 0 ? `${header}\n[The file is empty.]` : `${header}\n${numberLines(lines)}`;
  const [start, end] = checkRange(viewRange, lines.length, path);
  return `${header}\n${numberLines(lines.slice(start - 1, end), start)}`;
}
