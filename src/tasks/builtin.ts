import type { BaseInstance, TaskDefinition } from './define-task.js';
import { depSearchTask } from './dep-search/index.js';
import { funcGenTask } from './func-gen/index.js';
import { funcLocalizeTask } from './func-localize/index.js';
import { issueLocalizeTask } from './issue-localize/index.js';

/** The task types this package ships; each is registered as `hybrid-gym/<name>-v<version>`. */
export const BUILTIN_TASKS: ReadonlyArray<TaskDefinition<any>> = [funcLocalizeTask, depSearchTask, funcGenTask, issueLocalizeTask];

/** A built-in or registered task by its name (the `task` field of its instances). */
export function builtinTask(name: string): TaskDefinition<BaseInstance> | undefined {
  return BUILTIN_TASKS.find((t) => t.name === name);
}
