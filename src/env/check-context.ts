import type { CodeRunner, RunCheck } from '../tasks/code-check.js';
import type { BaseInstance, TaskDefinition } from '../tasks/define-task.js';
import { withProtectedRestored } from '../tasks/protected-files.js';
import type { WorkspaceFiles } from '../workspace/files.js';

/**
 * `ctx.run` for one verdict: each check runs on the final files with the task's protected files
 * (and the check's own `protect`) restored from the given ones, in the instance's image. The given
 * files and the runner are made when the first check needs them; a verdict with no check costs none.
 */
export function checkRunFor<I extends BaseInstance>(
  task: TaskDefinition<I>,
  instance: I,
  final: WorkspaceFiles,
  given: () => Promise<WorkspaceFiles>,
  runner: () => Promise<CodeRunner> | CodeRunner,
): RunCheck {
  const isProtected = task.protectedFiles ? (path: string) => task.protectedFiles!(path, instance) : undefined;
  let checked: WorkspaceFiles | undefined;
  return async (check) => {
    const pristine = await given();
    checked ??= withProtectedRestored(final, pristine, isProtected);
    const files = check.protect?.length ? withProtectedRestored(final, pristine, isProtected, check.protect) : checked;
    return (await runner()).run(files, check, instance.image === undefined ? {} : { image: instance.image });
  };
}
