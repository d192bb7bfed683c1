import { defineTask } from '../define-task.js';
import { repoFiles } from '../../workspace/repo-cache.js';
import { generateDepSearch } from './generate.js';
import { depSearchOracle } from './oracle.js';
import { depSearchPrompt } from './prompt.js';
import { DepSearchInstanceSchema, type DepSearchInstance } from './schema.js';
import { verifyDepSearch } from './verify.js';

export { DepSearchInstanceSchema, DepSearchOptionsSchema, type DepSearchInstance, type DepSearchOptions, type Dependency } from './schema.js';
export { requiredComment } from './comment.js';

/**
 * Dependency search (Hybrid-Gym): find every in-repo function or class a given function calls
 * directly, and mark each definition with `# this function/class is called by the <name> function`.
 */
export const depSearchTask = defineTask<DepSearchInstance>({
  name: 'dep-search',
  version: 0,
  description: 'Mark every in-repo function or class that a given function calls directly.',
  instanceSchema: DepSearchInstanceSchema,
  generateInputs: ['progress'],
  generate: generateDepSearch,
  // Nothing to hide: the answer is a set of comments that are not there yet.
  // The process's copy of the repository (rechecked by its files' stamps), never changed here: a copy of the map.
  workspace: async (instance) => new Map(await repoFiles(instance.repo.path)),
  prompt: depSearchPrompt,
  verify: (instance, final, ctx) => verifyDepSearch(instance, final, ctx),
  oracle: depSearchOracle,
});
