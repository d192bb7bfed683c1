import type { TaskContext } from '../define-task.js';
import { requiredComment } from './comment.js';
import type { DepSearchInstance } from './schema.js';

/** The task prompt: the paper's dependency-search rules, in our words. */
export function depSearchPrompt(instance: DepSearchInstance, ctx: TaskContext): string {
  const t = instance.target;
  const comment = requiredComment(t.name);
  return [
    `A Python repository is in ${ctx.workdir}.`,
    '',
    `Look at the function \`${t.qualname}\` defined in ${t.file} at line ${t.line}. Find every function and class of this repository that it calls directly, and mark each one's definition with this comment:`,
    '',
    comment,
    '',
    'Rules:',
    `1. Direct calls only: what the body of \`${t.qualname}\` itself calls, not what those functions call in turn.`,
    '2. Only definitions in this repository count: leave out built-ins, the standard library and third-party packages.',
    '3. Creating an instance of a class of this repository counts as calling that class, and so does raising one of its exception classes.',
    `4. Write the comment exactly as shown, on its own line directly above the definition it marks (above its decorators if it has any), indented like the definition.`,
    '5. Mark each dependency once; do not mark anything that is not a dependency.',
    '6. Change nothing else: no code edits, no new docstrings, no new or deleted files.',
    '',
    'When you are done, call the finish tool.',
  ].join('\n');
}
