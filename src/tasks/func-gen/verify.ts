import { parsePythonSource, stripDocstringsAndComments } from '../../analysis/index.js';
import { runPytest } from '../../testrun/run-pytest.js';
import type { PytestResults } from '../../testrun/results.js';
import { diffFiles, type WorkspaceFiles } from '../../workspace/files.js';
import { compileDetails, firstCompileError } from '../compile-changed.js';
import type { VerifyContext, VerifyResult } from '../define-task.js';
import { firstDifferentLine } from '../first-different-line.js';
import { checkFunctionBodyPolicy } from './body-policy.js';
import { FUNC_GEN_PLACEHOLDER, findFunction, functionBodies, lineOf } from './body.js';
import type { FuncGenInstance } from './schema.js';
import { sourceFormChange } from '../source-form.js';
import { funcGenWorkspace } from './workspace.js';

export interface Violation {
  file: string;
  line?: number;
  problem: string;
}

/** One of the instance's tests as the verification run saw it (`missing`: never reported). */
export interface TestVerdict {
  nodeid: string;
  /** `missing`: selected, never reported; `not-run`: a file check failed first, so no test ran. */
  outcome: PytestResults['tests'][number]['outcome'] | 'missing' | 'not-run';
  message?: string;
}

/** Limit of the verification run of one instance's tests. */
const TEST_TIMEOUT_MS = 300_000;

/**
 * The file check first: only the target's body may differ from the masked workspace (the rest of
 * its file is compared as a syntax tree without comments, docstrings included; any other file that
 * changed, appeared or went away is a violation), the body must keep to the body policy and the file
 * must compile. Then the code check: the instance's tests run on the final files in a verification
 * sandbox, tests and their configuration restored. Reward 1 when every test passes (or the share
 * passing, for `reward: 'fraction'`), 0 on any violation or an incomplete or tampered run.
 */
export async function verifyFuncGen(instance: FuncGenInstance, final: WorkspaceFiles, ctx: VerifyContext): Promise<VerifyResult> {
  const masked = await funcGenWorkspace(instance);
  const t = instance.target;
  const violations: Violation[] = [];
  for (const { path, change } of diffFiles(masked, final)) {
    if (path === t.file && change === 'modified') continue;
    violations.push({ file: path, problem: change === 'deleted' ? 'file deleted' : change === 'added' ? 'new file (only the target’s body may change)' : 'file changed (only the target’s body may change)' });
  }
  const after = final.get(t.file)?.toString('utf8');
  let policy: Violation[] = [];
  if (after !== undefined && after !== masked.get(t.file)!.toString('utf8')) {
    const form = sourceFormChange(masked.get(t.file)!, final.get(t.file)!);
    if (form) violations.push({ file: t.file, problem: form });
    try {
      violations.push(...compareTargetFile(masked.get(t.file)!.toString('utf8'), after, instance));
      const verdict = checkFunctionBodyPolicy(after, t);
      if (verdict && !verdict.ok) policy = verdict.violations.map((v) => ({ file: t.file, line: v.line, problem: v.what }));
    } catch (error) {
      // Nesting deep enough to exhaust the checks' stack is the file's doing: it cannot be judged.
      if (!(error instanceof RangeError)) throw error;
      violations.push({ file: t.file, problem: `the file could not be checked (${error.message}): too deeply nested` });
    }
  }
  const failedChecks = violations.length > 0 || policy.length > 0;
  const compile = compileDetails(
    after === undefined ? null : await firstCompileError([{ file: t.file, after: final.get(t.file)!, before: masked.get(t.file)! }], ctx.run, { pureOnly: failedChecks }),
  );
  if (failedChecks || compile.compileError) {
    const tests: TestVerdict[] = instance.tests.map((nodeid) => ({ nodeid, outcome: 'not-run' }));
    return { reward: 0, success: false, details: { violations, policy, ...compile, tests, passed: 0, total: tests.length } };
  }

  const results = await runPytest(ctx.run, { ...instance.pytest, tests: instance.tests, timeoutMs: TEST_TIMEOUT_MS, name: 'func-gen-tests' });
  const byId = new Map(results.tests.map((r) => [r.nodeid, r]));
  const tests: TestVerdict[] = instance.tests.map((nodeid) => {
    const r = byId.get(nodeid);
    if (!r) return { nodeid, outcome: 'missing' };
    return { nodeid, outcome: r.outcome, ...(r.outcome !== 'passed' && r.message !== undefined && { message: r.message }) };
  });
  const trusted = results.complete && results.tampered.length === 0;
  const passed = trusted ? tests.filter((x) => x.outcome === 'passed').length : 0;
  const all = passed === tests.length;
  const reward = instance.reward === 'fraction' ? passed / tests.length : all ? 1 : 0;
  return {
    reward,
    success: all,
    details: {
      violations,
      policy,
      ...compile,
      tests,
      passed,
      total: tests.length,
      run: {
        complete: results.complete,
        timedOut: results.timedOut,
        ...(results.crashed !== undefined && { crashed: results.crashed }),
        ...(results.tampered.length > 0 && { tampered: results.tampered }),
        ...(results.collectErrors.length > 0 && { collectErrors: results.collectErrors }),
      },
    },
  };
}

/**
 * What changed in the target's file besides its body: the file with the target's body put back to
 * the placeholder must be the masked file's code (comments aside), with every docstring unchanged.
 */
function compareTargetFile(before: string, after: string, instance: FuncGenInstance): Violation[] {
  const t = instance.target;
  const parsed = functionBodies(after, t.file);
  if (parsed.hasErrors) return [{ file: t.file, line: firstDifferentLine(before, after), problem: 'the file is no longer valid Python' }];
  const fn = findFunction(parsed, t.qualname, t.occurrence);
  if (!fn) return [{ file: t.file, problem: `${t.qualname} is gone (renamed, moved or deleted)` }];
  if (!fn.region) return [{ file: t.file, line: fn.definition.line, problem: `the body of ${t.qualname} is empty` }];
  const remasked = after.slice(0, fn.region.start) + (fn.indent ?? '') + FUNC_GEN_PLACEHOLDER + after.slice(fn.region.end);
  if (stripDocstringsAndComments(remasked) !== stripDocstringsAndComments(before)) {
    // Reported in the agent's lines: those after the body move by its length.
    let line = firstDifferentLine(before, remasked);
    const placeholderLine = lineOf(remasked, fn.region.start);
    if (line > placeholderLine) line += lineOf(after, fn.region.end) - placeholderLine;
    const where = line >= fn.definition.anchorLine && line < fn.definition.bodyLine ? ` (the signature or decorators of ${t.qualname})` : '';
    // Docstrings are compared only when the code lines up; a code change is the violation then.
    return [{ file: t.file, line, problem: `code outside the body of ${t.qualname} changed${where}` }];
  }
  const out: Violation[] = [];
  const b = parsePythonSource(before, t.file);
  const a = parsePythonSource(remasked, t.file);
  if ((b.moduleDocstring?.literal ?? null) !== (a.moduleDocstring?.literal ?? null)) out.push({ file: t.file, line: 1, problem: 'the module docstring changed' });
  const docs = (p: typeof a) => p.definitions.map((d) => `${d.qualname}\0${d.docstring?.literal ?? ''}`);
  const was = docs(b);
  const now = docs(a);
  const k = now.findIndex((d, i) => d !== was[i]);
  if (k >= 0 || now.length !== was.length) {
    const d = a.definitions[k >= 0 ? k : Math.min(now.length, was.length) - 1];
    out.push({ file: t.file, ...(d && { line: d.line }), problem: `a docstring changed${d ? ` (${d.qualname})` : ''}` });
  }
  return out;
}
