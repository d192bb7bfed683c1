import type { IndexProgress } from '../analysis/index.js';

/** Progress lines for a generator's indexing: one when it starts, then about every second, and the last. */
export function indexProgress(say: (line: string) => void): (p: IndexProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (p.done !== p.total && p.done !== p.cached && now - last < 1000) return;
    last = now;
    const how = [p.cached ? `${p.cached} from the cache` : '', p.workers ? `${p.workers} worker threads` : ''].filter(Boolean).join(', ');
    say(`indexing: ${p.done} of ${p.total} files${how ? ` (${how})` : ''}`);
  };
}
