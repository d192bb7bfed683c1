import { z } from 'zod';
import { BaseInstanceSchema } from '../define-task.js';

export const FuncLocalizeTargetSchema = z.object({
  file: z.string(),
  name: z.string(),
  qualname: z.string(),
  kind: z.enum(['function', 'method', 'class']),
  /** Which of the definitions sharing this qualname in the file (overload stubs, property setters), from 0. */
  occurrence: z.number().int().min(0).default(0),
  /** Lines (1-based, inclusive) of the definition in the original file, decorators excluded. */
  line: z.number().int().positive(),
  endLine: z.number().int().positive(),
  /** The removed docstring: where it was and its literal exactly as written (prefix and quotes included). */
  docstring: z.object({ line: z.number().int().positive(), endLine: z.number().int().positive(), text: z.string() }),
  /** Structural facts shown to the agent when the generator was asked for them. */
  details: z
    .object({
      parameters: z.array(z.string()),
      returnsValue: z.boolean(),
      calls: z.array(z.string()),
      decorators: z.array(z.string()),
    })
    .optional(),
});
export type FuncLocalizeTarget = z.infer<typeof FuncLocalizeTargetSchema>;

export const FuncLocalizeInstanceSchema = BaseInstanceSchema.extend({
  task: z.literal('func-localize'),
  targets: z.array(FuncLocalizeTargetSchema).min(1),
  /** What the agent is told about each target (one paragraph per target, in target order). */
  description: z.string(),
  /** Whether the prompt names the targets. */
  showName: z.boolean(),
});
export type FuncLocalizeInstance = z.infer<typeof FuncLocalizeInstanceSchema>;
