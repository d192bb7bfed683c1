import { readFile } from 'node:fs/promises';
import { taskByName, registeredEnvs } from '../env/registry.js';
import { HybridGymError, ValidationError } from '../errors.js';
import { parseInstance, type BaseInstance, type TaskDefinition } from '../tasks/define-task.js';
import { parseJsonl } from '../tasks/instances-io.js';

/** Read an instances file and the task type its `task` field names (one task per file). */
export async function loadInstanceFile(path: string): Promise<{ task: TaskDefinition<BaseInstance>; instances: BaseInstance[] }> {
  const raw = parseJsonl(await readFile(path, 'utf8'), path);
  if (raw.length === 0) throw new ValidationError(`instances file ${path}`, [{ path: '', message: 'it holds no instances' }]);
  const names = new Set(raw.map((r) => (r as { task?: unknown })?.task));
  if (names.size !== 1) {
    throw new ValidationError(`instances file ${path}`, [{ path: 'task', message: `expected one task per file, found ${[...names].join(', ')}` }]);
  }
  const first = raw[0] as Record<string, unknown> | null;
  if ([...names][0] === undefined) {
    // Issue rows (SWE-bench form) are what `generate issue-localize --issues` reads, not instances.
    const rows = first !== null && typeof first === 'object' && 'instance_id' in first && 'patch' in first;
    throw new ValidationError(`instances file ${path}`, [
      { path: 'task', message: rows ? 'these are issue rows, not instances: make instances with `hybrid-gym generate issue-localize --issues FILE --repos-dir DIR`' : 'missing: not an instances file written by `hybrid-gym generate`' },
    ]);
  }
  const name = String([...names][0]);
  const task = taskByName(name);
  if (!task) throw new HybridGymError('UNKNOWN_TASK', `No task type "${name}" is registered (envs: ${registeredEnvs().join(', ')})`);
  return { task, instances: raw.map((r) => parseInstance(task, r)) };
}

/** The instance with this id, or an error that lists a few ids that exist. */
export function pickInstance<I extends BaseInstance>(instances: readonly I[], id: string, path: string): I {
  const found = instances.find((i) => i.id === id);
  if (found) return found;
  const some = instances.slice(0, 5).map((i) => i.id).join(', ');
  throw new HybridGymError('INSTANCE_NOT_FOUND', `No instance "${id}" in ${path} (${instances.length} instances, e.g. ${some})`);
}
