import type { Action } from '../../tools/types.js';
import type { TaskContext } from '../define-task.js';
import type { FuncLocalizeInstance } from './schema.js';
import { findTarget, funcLocalizeWorkspace } from './workspace.js';

/**
 * Put each original docstring back with `str_replace_editor insert`, above the first statement of
 * the body in the masked file (bottom-up per file, so earlier inserts do not move later ones).
 */
export async function funcLocalizeOracle(instance: FuncLocalizeInstance, ctx: TaskContext): Promise<Action[]> {
  const masked = await funcLocalizeWorkspace(instance);
  const inserts = instance.targets.map((t) => {
    const text = masked.get(t.file)!.toString('utf8');
    const def = findTarget(text, t)!;
    const bodyLine = text.split('\n')[def.bodyLine - 1] ?? '';
    const indent = /^[ \t]*/.exec(bodyLine)![0];
    return { file: t.file, after: def.bodyLine - 1, text: indent + t.docstring.text };
  });
  inserts.sort((a, b) => (a.file === b.file ? b.after - a.after : a.file < b.file ? -1 : 1));
  return inserts.map((i) => ({
    tool: 'str_replace_editor',
    input: { command: 'insert', path: `${ctx.workdir}/${i.file}`, insert_line: i.after, new_str: i.text },
  }));
}
