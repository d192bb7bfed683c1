import type { Observation, ToolOutcome } from './types.js';

/** A mistake of the agent: caught by runAction and turned into an error observation. */
export class ToolInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolInputError';
  }
}

export function outcome(text: string, fields: Partial<Observation> = {}): ToolOutcome {
  return { observation: { text, isError: false, ...fields }, finished: false };
}

export function errorOutcome(text: string, fields: Partial<Observation> = {}): ToolOutcome {
  return { observation: { ...fields, text, isError: true }, finished: false };
}
