import type { TaskContext } from '../define-task.js';
import type { IssueLocalizeInstance } from './schema.js';

/** The task prompt: the issue, then the paper's localization rules in our words. */
export function issueLocalizePrompt(instance: IssueLocalizeInstance, ctx: TaskContext): string {
  return [
    `A Python repository is in ${ctx.workdir}. This issue was reported against it:`,
    '',
    '<issue>',
    instance.problemStatement,
    '</issue>',
    '',
    'Find the places in the code that a fix for this issue would have to change, and mark each one with a `#` comment saying what is wrong there: on its own line directly above the line to change, or at the end of that line. A comment on its own line counts for the line of code below it.',
    '',
    'Rules:',
    '1. Comments only: add `#` comments and change nothing else. No code edits, no docstring edits, no new, deleted or renamed files, and do not edit or remove the comments already there. Do not fix the issue.',
    '2. Mark every file and function the fix would change, and only those.',
    instance.reward === 'f1'
      ? '3. Comments elsewhere count against you: each other function (or module level of a file) you comment lowers the score.'
      : `3. Comments elsewhere count against you: comments in more than ${instance.maxOffTarget} other function${instance.maxOffTarget === 1 ? '' : 's'} (or module levels of files) fail the task.`,
    '4. You may read and search the code and run it, its tests or your own scripts to find the cause.',
    '',
    'When you are done, call the finish tool.',
  ].join('\n');
}
