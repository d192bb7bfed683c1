import { TOOL_ALIASES, TOOL_NAMES, type ToolName } from './schemas.js';

/** The canonical name for `name` (exact, alias, or differing only in case, spaces or dashes). */
export function resolveToolName(name: string): ToolName | undefined {
  const key = name.trim().toLowerCase().replace(/[\s-]+/g, '_');
  if ((TOOL_NAMES as readonly string[]).includes(key)) return key as ToolName;
  // Own keys only: `__proto__`, `constructor` or `toString` are unknown tools, not Object.prototype members.
  return Object.hasOwn(TOOL_ALIASES, key) ? TOOL_ALIASES[key] : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known name (canonical or alias) nearest to `name`, for "did you mean" hints. */
export function closestToolName(name: string): string {
  const key = name.trim().toLowerCase();
  const candidates = [...TOOL_NAMES, ...Object.keys(TOOL_ALIASES)];
  let best: string = TOOL_NAMES[0];
  let bestScore = Infinity;
  for (const c of candidates) {
    // A name that contains or is contained in a candidate ("editor", "bash_tool") is a strong hint.
    const score = key.length > 2 && (c.includes(key) || key.includes(c)) ? 0 : editDistance(key, c);
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}
