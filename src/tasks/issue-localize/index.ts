import { defineTask } from '../define-task.js';
import { generateIssueLocalize } from './generate.js';
import { issueLocalizeOracle } from './oracle.js';
import { issueLocalizePrompt } from './prompt.js';
import { IssueLocalizeInstanceSchema, type IssueLocalizeInstance } from './schema.js';
import { verifyIssueLocalize } from './verify.js';
import { issueWorkspace } from './workspace.js';

/**
 * Issue localization: read an issue (a real one from a dataset row, or one written from the tests
 * a synthetic bug makes fail) and mark with comments the code a fix would change, changing nothing.
 */
export const issueLocalizeTask = defineTask<IssueLocalizeInstance>({
  name: 'issue-localize',
  version: 0,
  description: 'Read an issue and mark with comments the files, functions and lines a fix would change; change no code.',
  instanceSchema: IssueLocalizeInstanceSchema,
  generate: generateIssueLocalize,
  generateInputs: ['runner', 'imageContents', 'progress'],
  workspace: issueWorkspace,
  prompt: issueLocalizePrompt,
  verify: verifyIssueLocalize,
  oracle: issueLocalizeOracle,
});

export { generateIssueLocalize } from './generate.js';
export { generateSyntheticIssues, SyntheticIssueOptionsSchema, type SyntheticIssueOptions } from './synthetic.js';
export { generateFromRows, IssueRowsOptionsSchema, type IssueRowsOptions } from './from-rows.js';
export { readIssueRows, IssueRowSchema, type IssueRow } from './rows.js';
export { functionMutants, type Mutant } from './mutate.js';
export type { DescribeBug } from './describe.js';
export {
  IssueLocalizeInstanceSchema,
  SyntheticIssueInstanceSchema,
  RowIssueInstanceSchema,
  LocationSchema,
  MutationSchema,
  MUTATION_KINDS,
  type IssueLocalizeInstance,
  type SyntheticIssueInstance,
  type RowIssueInstance,
  type Location,
  type Mutation,
  type MutationKind,
} from './schema.js';
