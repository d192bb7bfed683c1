import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Action } from '../../tools/types.js';
import type { TaskContext } from '../define-task.js';
import { requiredComment } from './comment.js';
import type { DepSearchInstance } from './schema.js';

/** Inserts the required comment above each dependency with `str_replace_editor insert`, bottom-up in each file. */
export async function depSearchOracle(instance: DepSearchInstance, ctx: TaskContext): Promise<Action[]> {
  const comment = requiredComment(instance.target.name);
  const byFile = new Map<string, DepSearchInstance['dependencies']>();
  for (const d of instance.dependencies) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
  const actions: Action[] = [];
  for (const file of [...byFile.keys()].sort()) {
    const lines = (await readFile(path.join(instance.repo.path, file), 'utf8')).split('\n');
    // Bottom-up, so that an insertion never shifts the lines of the ones still to come.
    const deps = [...byFile.get(file)!].sort((a, b) => b.anchorLine - a.anchorLine);
    for (const d of deps) {
      const indent = /^[ \t]*/.exec(lines[d.anchorLine - 1] ?? '')?.[0] ?? '';
      actions.push({
        tool: 'str_replace_editor',
        input: { command: 'insert', path: `${ctx.workdir}/${file}`, insert_line: d.anchorLine - 1, new_str: `${indent}${comment}` },
      });
    }
  }
  return actions;
}
