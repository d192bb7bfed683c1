import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: ((options?: { type: 'minor' | 'major' }) => void) | undefined;
let calls = 0;

/**
 * Lets go of the syntax trees parsed so far. tree-sitter's trees live outside the JS heap, which
 * V8 does not know about, and are freed by finalizers that run only once a collection has found
 * them and the event loop turns: a loop that parses file after file without either holds every
 * tree it made (1.5 GB for sympy). So, every few hundred KB of source: a collection of the young
 * generation, where the trees' wrappers are (cheap whatever the heap's size; a full one every 16th
 * time, for any that got older), exposed through a new context, which leaves the caller's global
 * alone; and a turn of the event loop.
 */
export async function freeTrees(): Promise<void> {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as typeof collect;
  }
  collect!(++calls % 16 === 0 ? { type: 'major' } : { type: 'minor' });
  await new Promise<void>((resolve) => setImmediate(resolve));
}
