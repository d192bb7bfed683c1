import { ValidationError } from '../../errors.js';
import type { GenerateOptions } from '../define-task.js';
import { generateFromRows, type IssueRowsOptions } from './from-rows.js';
import type { IssueLocalizeInstance } from './schema.js';
import { generateSyntheticIssues, type SyntheticIssueOptions } from './synthetic.js';

/**
 * issue-localize instances from one of two sources: `issues` (+ `reposDir`), rows in SWE-bench
 * form with local clones; or `repo`, synthetic bugs screened by the repository's tests.
 */
export async function generateIssueLocalize(options: GenerateOptions | IssueRowsOptions): Promise<IssueLocalizeInstance[]> {
  const o = options as Record<string, unknown>;
  if (o.issues !== undefined) {
    if (o.repo !== undefined) {
      throw new ValidationError('issue-localize generator options', [{ path: 'repo', message: 'give either `repo` (synthetic bugs) or `issues` with `reposDir` (issue rows), not both' }]);
    }
    // The rows need no sandbox: the runner make() and the CLI pass for synthetic generation is not theirs.
    const { runner: _r, ...rows } = o;
    return generateFromRows(rows as IssueRowsOptions);
  }
  return generateSyntheticIssues(options as SyntheticIssueOptions);
}
