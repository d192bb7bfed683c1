import { parsePython } from '../../analysis/python/parser.js';
import type { Action } from '../../tools/types.js';
import type { TaskContext } from '../define-task.js';
import { statementStart } from './regions.js';
import type { IssueLocalizeInstance } from './schema.js';
import { issueWorkspace } from './workspace.js';

export const ORACLE_COMMENT = '# The fix for the issue belongs here.';

/**
 * One comment line above the statement holding each gold location's first line, inserted with
 * `str_replace_editor insert`, bottom-up in each file so no insertion shifts another.
 */
export async function issueLocalizeOracle(instance: IssueLocalizeInstance, ctx: TaskContext): Promise<Action[]> {
  const files = await issueWorkspace(instance);
  const actions: Action[] = [];
  for (const file of [...new Set(instance.locations.map((l) => l.file))].sort()) {
    const text = files.get(file)!.toString('utf8');
    const { root } = parsePython(text);
    const lines = text.split('\n');
    const anchors = [...new Set(instance.locations.filter((l) => l.file === file).map((l) => statementStart(root, l.line)))].sort((a, b) => b - a);
    for (const line of anchors) {
      const indent = /^[ \t]*/.exec(lines[line - 1] ?? '')?.[0] ?? '';
      actions.push({ tool: 'str_replace_editor', input: { command: 'insert', path: `${ctx.workdir}/${file}`, insert_line: line - 1, new_str: `${indent}${ORACLE_COMMENT}` } });
    }
  }
  return actions;
}
