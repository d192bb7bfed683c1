import { readFile, writeFile } from 'node:fs/promises';
import { ValidationError } from '../errors.js';
import { parseInstance, type BaseInstance, type TaskDefinition } from './define-task.js';

/** Instances as JSON lines: one per line, keys in a stable order, so the same input gives the same bytes. */
export function toJsonl(instances: readonly unknown[]): string {
  return instances.map((i) => JSON.stringify(i)).join('\n') + (instances.length ? '\n' : '');
}

/** Parse JSON lines; a bad line is named by its number. */
export function parseJsonl(text: string, source = 'input'): unknown[] {
  const out: unknown[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line));
    } catch (err) {
      throw new ValidationError(`JSON lines in ${source}`, [{ path: `line ${i + 1}`, message: (err as Error).message }]);
    }
  });
  return out;
}

/** Read and validate a task's instances from a .jsonl file. */
export async function readInstances<I extends BaseInstance>(path: string, task: TaskDefinition<I>): Promise<I[]> {
  return parseJsonl(await readFile(path, 'utf8'), path).map((v) => parseInstance(task, v));
}

export async function writeInstances(path: string, instances: readonly unknown[]): Promise<void> {
  await writeFile(path, toJsonl(instances));
}
