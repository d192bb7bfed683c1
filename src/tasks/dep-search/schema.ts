import { z } from 'zod';
import { BaseInstanceSchema } from '../define-task.js';

const Line = z.number().int().positive();

/** The function whose callees the agent must find. */
export const DepTargetSchema = z.object({
  file: z.string().min(1),
  name: z.string().min(1),
  qualname: z.string().min(1),
  line: Line,
  endLine: Line,
});

/** One in-repo definition the target calls directly. */
export const DependencySchema = z.object({
  file: z.string().min(1),
  name: z.string().min(1),
  qualname: z.string().min(1),
  kind: z.enum(['function', 'method', 'class']),
  /** The `def`/`class` line. */
  line: Line,
  endLine: Line,
  /** The first decorator's line, or `line`: the comment goes right above it. */
  anchorLine: Line,
});

export const DepSearchInstanceSchema = BaseInstanceSchema.extend({
  task: z.literal('dep-search'),
  /** `binary`: 1 only for an exact answer; `f1`: the F1 over dependencies (0 on any code change). @default 'binary' */
  reward: z.enum(['binary', 'f1']).default('binary'),
  target: DepTargetSchema,
  dependencies: z.array(DependencySchema).min(1),
});

export type DepSearchInstance = z.output<typeof DepSearchInstanceSchema>;
export type Dependency = z.output<typeof DependencySchema>;

export const DepSearchOptionsSchema = z.object({
  repo: z.string().min(1),
  /** @default 0 */
  seed: z.number().int().default(0),
  /** Most instances per repository. @default 50 */
  n: z.number().int().positive().default(50),
  /** Fewest in-repo callees a target may have. @default 1 */
  minDeps: z.number().int().positive().default(1),
  /** Most in-repo callees a target may have. @default 5 */
  maxDeps: z.number().int().positive().default(5),
  /** Also take targets from test files (`test_*.py`, `*_test.py`, `tests/`, `conftest.py`). @default false */
  includeTests: z.boolean().default(false),
  /**
   * Skip targets with an unresolved call whose callee name is also the name of an in-repo definition
   * (it may be a dependency the analysis cannot see). @default true
   */
  strict: z.boolean().default(true),
  /** Reward of the instances made: `binary` or shaped `f1`. @default 'binary' */
  reward: z.enum(['binary', 'f1']).default('binary'),
  /** Told what a long generation is doing (files indexed), a line at a time. */
  onProgress: z.custom<(line: string) => void>((v) => typeof v === 'function', 'expected a function').optional(),
  /** The analysis cache folder, or false for none. @default see indexRepo's `cache` */
  cache: z.union([z.string().min(1), z.literal(false)]).optional(),
}).refine((o) => o.minDeps <= o.maxDeps, { message: 'minDeps must not exceed maxDeps', path: ['minDeps'] });

export type DepSearchOptions = z.input<typeof DepSearchOptionsSchema>;
