import { fileURLToPath } from 'node:url';
import type { DepSearchInstance } from '../../../../src/tasks/dep-search/index.js';
import { depSearchTask } from '../../../../src/tasks/dep-search/index.js';
import type { WorkspaceFiles } from '../../../../src/workspace/files.js';

export const SHOP = fileURLToPath(new URL('../../../fixtures/dep-search/shop', import.meta.url));
export const MARKED = fileURLToPath(new URL('../../../fixtures/dep-search/marked', import.meta.url));
export const WORKDIR = '/workspace';

export async function shopInstances(options: Record<string, unknown> = {}): Promise<DepSearchInstance[]> {
  return depSearchTask.generate!({ repo: SHOP, ...options });
}

export async function instanceFor(qualname: string, options: Record<string, unknown> = {}): Promise<DepSearchInstance> {
  const found = (await shopInstances({ includeTests: true, ...options })).find((i) => i.target.qualname === qualname);
  if (!found) throw new Error(`no instance for ${qualname}`);
  return found;
}

/** Applies `str_replace_editor insert` actions to files in memory, as the tool does. */
export function applyInserts(files: WorkspaceFiles, actions: Array<{ tool: string; input?: unknown }>): WorkspaceFiles {
  const out = new Map(files);
  for (const a of actions) {
    const input = a.input as { command: string; path: string; insert_line: number; new_str: string };
    if (a.tool !== 'str_replace_editor' || input.command !== 'insert') throw new Error(`unexpected action ${JSON.stringify(a)}`);
    const file = input.path.slice(WORKDIR.length + 1);
    const lines = out.get(file)!.toString('utf8').split('\n');
    lines.splice(input.insert_line, 0, input.new_str);
    out.set(file, Buffer.from(lines.join('\n')));
  }
  return out;
}

/** Edits one file's lines in memory. */
export function editLines(files: WorkspaceFiles, file: string, edit: (lines: string[]) => void): WorkspaceFiles {
  const out = new Map(files);
  const lines = out.get(file)!.toString('utf8').split('\n');
  edit(lines);
  out.set(file, Buffer.from(lines.join('\n')));
  return out;
}

/** Inserts `text` so that it becomes line `line` (1-based). */
export function insertAt(files: WorkspaceFiles, file: string, line: number, ...text: string[]): WorkspaceFiles {
  return editLines(files, file, (lines) => lines.splice(line - 1, 0, ...text));
}
