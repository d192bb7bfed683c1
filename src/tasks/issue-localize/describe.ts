import type { TestResult } from '../../testrun/results.js';
import type { MutationKind } from './schema.js';

/**
 * Rewrites a synthetic bug's issue text, for example by asking an LLM to write it in a user's
 * voice. It is told the bug (to write a faithful report); what it returns is checked like the
 * offline text, and a rewrite that shows the function's code, the changed lines or a name the
 * offline text kept out is not used (the offline text is).
 */
export type DescribeBug = (input: {
  /** The offline issue text: failing tests, messages and trimmed tracebacks. */
  text: string;
  /** The failing tests' results on the buggy workspace. */
  failures: readonly TestResult[];
  /** What the bug is: never to be shown in the text. */
  mutation: { kind: MutationKind; file: string; qualname: string; original: string; mutated: string };
}) => Promise<string>;
