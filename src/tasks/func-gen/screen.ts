import { runScreenTests, type ScreenInput } from '../screen-run.js';
import type { WorkspaceFiles } from '../../workspace/files.js';

/** What running a candidate's tests on the masked and the original workspace decided. */
export type ScreenVerdict =
  | { ok: true; tests: string[] }
  | { ok: false; reason: 'masked-passes' | 'fails-alone'; tests: string[] };

/**
 * Runs the tests with the body masked and keeps those that do not pass (doing nothing must not
 * solve the instance); then runs those on the original files, where every one must pass when run
 * on its own selection (a test that passed in the whole suite may depend on the others).
 */
export async function screenCandidate(original: WorkspaceFiles, maskedFile: { file: string; text: string }, tests: string[], s: ScreenInput): Promise<ScreenVerdict> {
  const masked: WorkspaceFiles = new Map(original);
  masked.set(maskedFile.file, Buffer.from(maskedFile.text, 'utf8'));
  const onMasked = await runScreenTests(masked, tests, s, 'func-gen-masked');
  const passed = new Set(onMasked.tests.filter((t) => t.outcome === 'passed' || t.outcome === 'xpassed' || t.outcome === 'skipped').map((t) => t.nodeid));
  const failing = tests.filter((t) => !passed.has(t));
  if (failing.length === 0) return { ok: false, reason: 'masked-passes', tests };
  let selection = failing;
  for (let round = 0; round < 2; round++) {
    const onGold = await runScreenTests(original, selection, s, 'func-gen-gold');
    const good = new Set(onGold.tests.filter((t) => t.outcome === 'passed').map((t) => t.nodeid));
    const kept = selection.filter((t) => good.has(t));
    if (onGold.complete && onGold.tampered.length === 0 && kept.length === selection.length) return { ok: true, tests: selection };
    if (kept.length === 0) break;
    selection = kept;
  }
  return { ok: false, reason: 'fails-alone', tests: selection };
}
