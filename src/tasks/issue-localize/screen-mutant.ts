import { runScreenTests, type ScreenInput } from '../screen-run.js';
import type { TestResult } from '../../testrun/results.js';
import type { WorkspaceFiles } from '../../workspace/files.js';
import type { MutantCandidate } from './mutant-pool.js';

export type MutantVerdict =
  | { ok: true; failures: TestResult[] }
  | { ok: false; reason: 'uncaught' | 'hangs' | 'fails-alone' };

const failed = (t: TestResult): boolean => t.outcome === 'failed' || t.outcome === 'error';

/**
 * Runs the function's tests with the mutant in; the bug is caught when some fail (or error) in a
 * run that finished. Those tests then run alone on the original files: the ones that pass there
 * are the instance's tests (a test that passed only among the whole suite proves nothing).
 */
export async function screenMutant(original: WorkspaceFiles, c: MutantCandidate, s: ScreenInput): Promise<MutantVerdict> {
  const onMutant = await runScreenTests(c.files, c.tests, s, 'issue-localize-mutant');
  if (!onMutant.complete || onMutant.tampered.length > 0) return { ok: false, reason: 'hangs' };
  const failures = onMutant.tests.filter(failed);
  if (failures.length === 0) return { ok: false, reason: 'uncaught' };
  const onOriginal = await runScreenTests(original, failures.map((t) => t.nodeid), s, 'issue-localize-original');
  const good = new Set(onOriginal.complete ? onOriginal.tests.filter((t) => t.outcome === 'passed').map((t) => t.nodeid) : []);
  const kept = failures.filter((t) => good.has(t.nodeid));
  return kept.length > 0 ? { ok: true, failures: kept } : { ok: false, reason: 'fails-alone' };
}
