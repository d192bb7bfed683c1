import { decodeSource } from '../../analysis/python/read-source.js';
import { diffFiles, type WorkspaceFiles } from '../../workspace/files.js';
import { sourceFormChange } from '../source-form.js';
import { compileDetails, firstCompileError, type ChangedPython } from '../compile-changed.js';
import type { VerifyContext, VerifyResult } from '../define-task.js';
import { diffComments, type PlacedComment } from './comment-diff.js';
import { goldTargets, innermostDefinition, within, type GoldTarget } from './regions.js';
import type { IssueLocalizeInstance } from './schema.js';
import { issueWorkspace } from './workspace.js';

type Where = { file: string; line: number | null };
export type IssueViolation = Where & {
  kind: 'deleted-file' | 'added-file' | 'non-python-changed' | 'code-changed' | 'not-decodable' | 'comment-removed' | 'source-form';
  originalLine?: number;
  comment?: string;
  /** For `source-form`: what changed in how CPython reads the file. */
  problem?: string;
};
/** An added comment and what it landed on: a gold target (`file::qualname`, `file::<module>`) or another place. */
export type ScoredComment = { file: string; line: number; comment: string; target: string | null; place: string; onLine: boolean };

const label = (t: Pick<GoldTarget, 'file' | 'qualname'>): string => `${t.file}::${t.qualname ?? '<module>'}`;
const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * Scores the final files against the workspace the agent started from. Only added `#` comments may
 * differ (no code, docstring, file or existing-comment change). Each added comment is placed on a
 * line of the starting file (the line below it, or the line it ends) and counts for the gold target
 * whose lines hold that line or whose definition is the innermost one holding it; anything else is
 * an off-target place (its innermost definition, or the file's module level). Binary success: a comment in every gold file, at least
 * one gold function hit (a gold line when none is a function), and at most `maxOffTarget` other
 * places. `f1`: the F1 over targets, places counted once. Details give file, function and line
 * precision and recall.
 */
export async function verifyIssueLocalize(instance: IssueLocalizeInstance, final: WorkspaceFiles, ctx: Partial<VerifyContext> = {}): Promise<VerifyResult> {
  const start = await issueWorkspace(instance);
  const violations: IssueViolation[] = [];
  const python: ChangedPython[] = [];
  const added = new Map<string, PlacedComment[]>();
  const texts = new Map<string, string>();
  const text = (bytes: Buffer): string | null => {
    const r = decodeSource(bytes);
    return r.ok ? r.text : null;
  };

  for (const change of diffFiles(start, final)) {
    const file = change.path;
    if (change.change !== 'modified') {
      violations.push({ kind: change.change === 'deleted' ? 'deleted-file' : 'added-file', file, line: null });
      continue;
    }
    if (!file.endsWith('.py')) {
      violations.push({ kind: 'non-python-changed', file, line: null });
      continue;
    }
    python.push({ file, before: start.get(file)!, after: final.get(file)! });
    // A lone carriage return or a new coding declaration makes a comment code to CPython, not to the syntax tree.
    const form = sourceFormChange(start.get(file)!, final.get(file)!);
    if (form) {
      violations.push({ kind: 'source-form', file, line: null, problem: form });
      continue;
    }
    const before = text(start.get(file)!);
    const after = text(final.get(file)!);
    if (before === null || after === null) {
      violations.push({ kind: 'not-decodable', file, line: null });
      continue;
    }
    const d = diffComments(before, after);
    if (!d.ok) {
      violations.push({ kind: 'code-changed', file, line: d.line, originalLine: d.originalLine });
      continue;
    }
    // A carriage return inside a comment is a line break to CPython (code after it runs), whatever the count.
    const cr = d.added.find((c) => c.text.includes('\r'));
    if (cr) {
      violations.push({ kind: 'source-form', file, line: cr.finalLine, problem: 'a carriage return inside an added comment (CPython reads it as a line break, so the comment could hold code)' });
      continue;
    }
    for (const c of d.removed) violations.push({ kind: 'comment-removed', file, line: null, originalLine: c.finalLine, comment: c.text });
    if (d.added.length > 0) added.set(file, d.added);
    texts.set(file, before);
  }

  // The gold targets of each gold file, on the starting file's lines.
  const goldFiles = [...new Set(instance.locations.map((l) => l.file))].sort();
  const targets: GoldTarget[] = [];
  const definitionsOf = new Map<string, ReturnType<typeof goldTargets>['definitions']>();
  for (const file of new Set([...goldFiles, ...added.keys()])) {
    const source = texts.get(file) ?? (start.has(file) ? text(start.get(file)!) : null);
    if (source === null) continue;
    const g = goldTargets(file, source, instance.locations.filter((l) => l.file === file));
    targets.push(...g.targets);
    definitionsOf.set(file, g.definitions);
  }

  const comments: ScoredComment[] = [];
  for (const [file, list] of added) {
    const mine = targets.filter((t) => t.file === file);
    for (const c of list) {
      const onLine = mine.some((t) => t.hunks.some((h) => within(h, c.line)));
      const def = innermostDefinition(definitionsOf.get(file) ?? [], c.line);
      // A gold target's lines, else its own definition: a method or function nested in a gold class or
      // function is a place of its own (else one comment anywhere in a gold class would hit it).
      const hit = mine.find((t) => t.hunks.some((h) => within(h, c.line))) ?? mine.find((t) => t.definition && def && t.definition.line === def.anchorLine && t.definition.endLine === def.endLine);
      const place = hit ? label(hit) : def ? `${file}::${def.qualname}` : `${file}::<module>`;
      comments.push({ file, line: c.line, comment: c.text, target: hit ? label(hit) : null, place, onLine });
    }
  }

  const hitTargets = new Set(comments.flatMap((c) => (c.target ? [c.target] : [])));
  const offTarget = [...new Set(comments.filter((c) => c.target === null).map((c) => c.place))].sort();
  const commentedFiles = new Set(comments.map((c) => c.file));
  const functionTargets = targets.filter((t) => t.qualname !== null);
  const hunks = targets.flatMap((t) => t.hunks.map((h) => ({ t, h })));
  const hunksHit = hunks.filter(({ t, h }) => comments.some((c) => c.file === t.file && within(h, c.line))).length;
  const missedFiles = goldFiles.filter((f) => !commentedFiles.has(f));
  const anyFunction = functionTargets.length > 0 ? functionTargets.some((t) => hitTargets.has(label(t))) : hitTargets.size > 0;

  const tp = hitTargets.size;
  const precision = ratio(tp, tp + offTarget.length);
  const recall = ratio(tp, targets.length);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const goldFileHits = goldFiles.filter((f) => commentedFiles.has(f)).length;
  const summary = {
    files: { precision: ratio(goldFileHits, commentedFiles.size), recall: ratio(goldFileHits, goldFiles.length), missed: missedFiles },
    functions: { precision, recall, f1, hit: [...hitTargets].sort(), missed: targets.map(label).filter((l) => !hitTargets.has(l)) },
    lines: { precision: ratio(comments.filter((c) => c.onLine).length, comments.length), recall: ratio(hunksHit, hunks.length) },
    offTarget,
    maxOffTarget: instance.maxOffTarget,
  };
  const hitAll = comments.length > 0 && missedFiles.length === 0 && anyFunction && offTarget.length <= instance.maxOffTarget;
  const scoring = violations.length === 0 && (instance.reward === 'f1' ? f1 > 0 : hitAll);
  const compile = compileDetails(await firstCompileError(python, ctx.run, { pureOnly: !scoring }));
  const clean = violations.length === 0 && compile.compileError === undefined;
  const success = clean && hitAll;
  const reward = !clean ? 0 : instance.reward === 'f1' ? f1 : success ? 1 : 0;
  return { reward, success, details: { ...summary, comments, violations, ...compile } };
}
