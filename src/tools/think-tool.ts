import { outcome } from './observation.js';
import type { ThinkInput } from './schemas.js';
import type { ToolOutcome } from './types.js';

/** `think`: records the thought; nothing runs in the sandbox. */
export function runThink(_input: ThinkInput): ToolOutcome {
  return outcome('Your thought has been logged.');
}
