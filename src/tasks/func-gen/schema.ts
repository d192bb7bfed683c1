import { z } from 'zod';
import { SuitePytestOptionsSchema } from '../../testrun/pytest-check.js';
import { BaseInstanceSchema } from '../define-task.js';

const Line = z.number().int().positive();

/** The function whose body the agent writes (DESIGN.md, func-gen). Lines are 1-based and inclusive. */
export const FuncGenTargetSchema = z.object({
  file: z.string().min(1),
  name: z.string().min(1),
  qualname: z.string().min(1),
  /** Which of the definitions sharing this qualname in the file (redefinitions, property setters), from 0. */
  occurrence: z.number().int().min(0),
  kind: z.enum(['function', 'method']),
  /** The definition in the original file, decorators excluded. */
  line: Line,
  endLine: Line,
  /** The gold body exactly as it stands in the original file: indented, docstring excluded, no final line break. */
  body: z.object({ line: Line, endLine: Line, text: z.string().min(1) }),
});
export type FuncGenTarget = z.infer<typeof FuncGenTargetSchema>;

export const FuncGenInstanceSchema = BaseInstanceSchema.extend({
  task: z.literal('func-gen'),
  target: FuncGenTargetSchema,
  /** pytest node ids (relative to the repo root) that pass on the original and fail or error on the masked workspace. */
  tests: z.array(z.string().min(1)).min(1),
  /** `binary`: 1 when every test passes; `fraction`: the share of tests passing (0 on any change outside the body). @default 'binary' */
  reward: z.enum(['binary', 'fraction']).default('binary'),
  /** pytest options the repository's suite needs (the ones its test map was built with). */
  pytest: SuitePytestOptionsSchema.optional(),
});
export type FuncGenInstance = z.infer<typeof FuncGenInstanceSchema>;
