import type { Action } from '../../tools/types.js';
import type { TaskContext } from '../define-task.js';
import { lineEnd, lineStart } from './body.js';
import type { FuncGenInstance } from './schema.js';
import { maskedTargetFile } from './workspace.js';

/**
 * Write the gold body back with one `str_replace_editor str_replace`: the line holding the
 * placeholder (unique in the file: masking refuses files that already hold it) becomes the lines
 * of the original body.
 */
export async function funcGenOracle(instance: FuncGenInstance, ctx: TaskContext): Promise<Action[]> {
  const { masked, placeholder } = await maskedTargetFile(instance);
  const start = lineStart(masked, placeholder.start);
  const end = lineEnd(masked, placeholder.end);
  const oldStr = masked.slice(start, end);
  const newStr = masked.slice(start, placeholder.start) + instance.target.body.text + masked.slice(placeholder.end, end);
  return [{ tool: 'str_replace_editor', input: { command: 'str_replace', path: `${ctx.workdir}/${instance.target.file}`, old_str: oldStr, new_str: newStr } }];
}
