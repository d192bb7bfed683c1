import { capText } from '../sandbox/capped-output.js';
import type { Observation } from './types.js';

export const DEFAULT_MAX_OBSERVATION_CHARS = 30_000;

/** Cut an observation's text to `maxChars`, keeping its head and tail with a notice of what was left out. */
export function capObservation(observation: Observation, maxChars = DEFAULT_MAX_OBSERVATION_CHARS): Observation {
  const { text, truncated } = capText(observation.text, Math.max(1, maxChars));
  return truncated ? { ...observation, text } : observation;
}
