import type { ToolContext } from '../types.js';
import { decodeOrThrow, encodeText, type TextFile } from './text.js';

/** Undo steps kept per file; older ones are dropped. */
export const MAX_HISTORY_PER_FILE = 10;

export async function readText(ctx: ToolContext, path: string): Promise<TextFile> {
  return decodeOrThrow(await ctx.sandbox.readFile(path), path);
}

/** Write a text file back, keeping its mode bits as the sandbox's writeFiles default (0644) unless given. */
export async function writeText(ctx: ToolContext, path: string, file: TextFile, mode?: number): Promise<void> {
  await ctx.sandbox.writeFiles([{ path, content: encodeText(file), ...(mode === undefined ? {} : { mode }) }]);
}

/** Remember the content before an edit, for undo_edit. */
export function pushHistory(ctx: ToolContext, path: string, previous: string): void {
  const list = ctx.editHistory.get(path) ?? [];
  list.push(previous);
  if (list.length > MAX_HISTORY_PER_FILE) list.splice(0, list.length - MAX_HISTORY_PER_FILE);
  ctx.editHistory.set(path, list);
}
