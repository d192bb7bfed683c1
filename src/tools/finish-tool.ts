import type { FinishInput } from './schemas.js';
import type { ToolOutcome } from './types.js';

/** `finish`: ends the episode; the env then scores the workspace. */
export function runFinish(input: FinishInput): ToolOutcome {
  const message = input.message ?? '';
  return {
    observation: { text: message ? `Finished: ${message}` : 'Finished.', isError: false },
    finished: true,
    message,
  };
}
