import { fileURLToPath } from 'node:url';
import { IssueLocalizeInstanceSchema, type IssueLocalizeInstance } from '../../../../src/tasks/issue-localize/schema.js';

/** The issue-localize fixture repository: a small stock-keeping package and its tests. */
export const REPO = fileURLToPath(new URL('../../../fixtures/issue-localize/inventory', import.meta.url));
export const STOCK = 'inventory/stock.py';

/** A hand-made synthetic instance on the fixture: in `take`, `>` became `>=` on line 17. */
export function takeBugInstance(id: string, extra: Record<string, unknown> = {}): IssueLocalizeInstance {
  return IssueLocalizeInstanceSchema.parse({
    id, task: 'issue-localize', repo: { path: REPO, name: 'inventory' }, seed: 0, source: 'synthetic',
    problemStatement: 'tests/test_stock.py::test_take_removes fails',
    locations: [{ file: STOCK, qualname: 'take', line: 17, endLine: 17 }],
    mutation: { kind: 'flip-comparison', file: STOCK, qualname: 'take', line: 17, endLine: 17, original: '    if amount > have:', mutated: '    if amount >= have:' },
    tests: ['tests/test_stock.py::test_take_removes'],
    ...extra,
  });
}
