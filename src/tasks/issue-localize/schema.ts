import { z } from 'zod';
import { SuitePytestOptionsSchema } from '../../testrun/pytest-check.js';
import { BaseInstanceSchema } from '../define-task.js';

const Line = z.number().int().positive();

/** The mutation kinds of synthetic bugs, in the order generation balances them. */
export const MUTATION_KINDS = [
  'flip-comparison',
  'flip-boolean',
  'off-by-one',
  'remove-branch',
  'swap-args',
  'drop-statement',
  'change-return',
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

/**
 * One gold location: a file, the definition that holds the lines when there is one (innermost
 * function, method or class, by qualname), and the lines (1-based, inclusive) of the workspace the
 * agent starts from.
 */
export const LocationSchema = z.object({
  file: z.string().min(1),
  qualname: z.string().min(1).optional(),
  line: Line,
  endLine: Line,
});
export type Location = z.infer<typeof LocationSchema>;

/**
 * A synthetic bug: what was changed where. `line`/`endLine` are the mutated lines in the workspace
 * the agent sees; `original` the lines as they stood before, `mutated` as they stand now (empty when
 * the mutation removed them).
 */
export const MutationSchema = z.object({
  kind: z.enum(MUTATION_KINDS),
  file: z.string().min(1),
  qualname: z.string().min(1),
  line: Line,
  endLine: Line,
  original: z.string(),
  mutated: z.string(),
});
export type Mutation = z.infer<typeof MutationSchema>;

const Common = BaseInstanceSchema.extend({
  task: z.literal('issue-localize'),
  /** The issue the agent reads. */
  problemStatement: z.string().min(1),
  /** Gold: the places a fix would change (at least one Python file). */
  locations: z.array(LocationSchema).min(1),
  /** `binary`: 1 on a hit (see docs/tasks/issue-localize.md); `f1`: the function-level F1 (0 on any code change). @default 'binary' */
  reward: z.enum(['binary', 'f1']).default('binary'),
  /** Most places outside the gold functions and lines that may carry a comment for a binary success. @default 2 */
  maxOffTarget: z.number().int().min(0).default(2),
});

export const SyntheticIssueInstanceSchema = Common.extend({
  source: z.literal('synthetic'),
  mutation: MutationSchema,
  /** pytest node ids (relative to the repo root) that pass on the original and fail with the bug. */
  tests: z.array(z.string().min(1)).min(1),
  /** pytest options the repository's suite needs (those its test map was built with). */
  pytest: SuitePytestOptionsSchema.optional(),
});

export const RowIssueInstanceSchema = Common.extend({
  source: z.literal('issue'),
  /** The dataset's id (SWE-bench `instance_id`). */
  instanceId: z.string().min(1),
  /** The commit of `repo.path` (a local clone) whose tree is the workspace. */
  baseCommit: z.string().regex(/^[0-9a-f]{7,64}$/, 'expected a commit id (hex)'),
});

export const IssueLocalizeInstanceSchema = z.discriminatedUnion('source', [SyntheticIssueInstanceSchema, RowIssueInstanceSchema]);
export type SyntheticIssueInstance = z.output<typeof SyntheticIssueInstanceSchema>;
export type RowIssueInstance = z.output<typeof RowIssueInstanceSchema>;
export type IssueLocalizeInstance = z.output<typeof IssueLocalizeInstanceSchema>;
