import type { TestMap } from '../../testrun/test-map.js';
import { isProtectedForChecks } from '../protected-files.js';
import { normalizeAnswerText } from '../image-contents.js';
import { leakSearchText } from '../leak-text.js';
import type { WorkspaceFiles } from '../../workspace/files.js';
import { codeEnd, findFunction, functionBodies } from './body.js';
import { funcGenCandidates, type FuncGenCandidateOptions } from './candidates.js';
import { checkFunctionBodyPolicy } from './body-policy.js';
import { maskFunctionBody } from './mask.js';
import { plainSource } from '../source-form.js';
import type { FuncGenTarget } from './schema.js';

/** A function the repository's passing tests exercise, ready to mask. */
export interface Candidate {
  target: FuncGenTarget;
  /** The tests of the map that enter it, sorted. */
  tests: string[];
  /** The masked file. */
  masked: string;
  /** The body's code (first to last statement), whitespace collapsed: what leak checks look for. */
  answer: string;
  /** The first body-policy rule the gold body breaks (`os._exit`), if any: such a target is dropped. */
  policy?: string;
}

/** Why a function of the repository did not become a candidate, counted. */
export interface CandidateScan {
  candidates: Candidate[];
  /** Functions the candidate filter accepted that no mapped test enters. */
  untested: number;
  /** Files skipped: not UTF-8 (or declared otherwise), a byte-order mark, a lone carriage return, or syntax errors. */
  skippedFiles: string[];
}

/**
 * Every function and method of the repository that passes the candidate filter, that a passing,
 * deterministic test enters (matched to the test map by file, qualname and first line), and that
 * masks to a valid file. In file and source order.
 */
export function scanCandidates(files: WorkspaceFiles, map: TestMap, options: FuncGenCandidateOptions): CandidateScan {
  const tested = new Map<string, string[]>();
  for (const f of map.functions) tested.set(`${f.file}\0${f.qualname}\0${f.line}`, f.tests);
  const out: CandidateScan = { candidates: [], untested: 0, skippedFiles: [] };
  for (const [file, content] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    // Protected files (tests, conftest.py, start-up hooks) are put back before the tests run: never targets.
    if (!file.endsWith('.py') || isProtectedForChecks(file)) continue;
    const source = content.toString('utf8');
    // Offsets are the decoded text's; a file that does not round-trip would be rewritten on masking.
    if (source.charCodeAt(0) === 0xfeff || !Buffer.from(source, 'utf8').equals(content) || !plainSource(content)) {
      out.skippedFiles.push(file);
      continue;
    }
    const verdicts = funcGenCandidates(source, file, options);
    if (verdicts.some((v) => v.reason === 'syntax-errors')) {
      out.skippedFiles.push(file);
      continue;
    }
    const parsed = functionBodies(source, file);
    for (const v of verdicts) {
      if (!v.ok) continue;
      const fn = findFunction(parsed, v.qualname, v.occurrence)!;
      // A test in the target's own file would be restored with it (the masked copy) before the tests run.
      const tests = tested.get(`${file}\0${v.qualname}\0${fn.definition.anchorLine}`)?.filter((id) => id.split('::')[0] !== file);
      if (!tests || tests.length === 0) {
        out.untested++;
        continue;
      }
      const masked = maskFunctionBody(source, { qualname: v.qualname, occurrence: v.occurrence, file });
      if (!masked.ok) continue;
      const first = fn.statements[0]!;
      const last = fn.statements[fn.statements.length - 1]!;
      out.candidates.push({
        target: { file, name: v.name, qualname: v.qualname, occurrence: v.occurrence, kind: v.kind, line: v.line, endLine: v.endLine, body: masked.body },
        tests,
        masked: masked.masked,
        answer: normalizeAnswerText(source.slice(first.start, codeEnd(last))),
        ...policyOf(source, v),
      });
    }
  }
  return out;
}

/**
 * Whether a body's code is anywhere in the workspace the agent would get: in another file (a
 * vendored copy, a backup, a source archive or wheel) or elsewhere in the masked file. Whitespace does not matter. Each
 * file's collapsed text is computed once.
 */
export class BodyLeakCheck {
  private readonly collapsed = new Map<string, string>();

  constructor(private readonly files: WorkspaceFiles) {}

  /** The file holding the answer, or null. */
  where(c: Candidate): string | null {
    if (normalizeAnswerText(c.masked).includes(c.answer)) return c.target.file;
    for (const [file, content] of this.files) {
      if (file === c.target.file) continue;
      let text = this.collapsed.get(file);
      if (text === undefined) {
        text = leakSearchText(content);
        this.collapsed.set(file, text);
      }
      if (text.includes(c.answer)) return file;
    }
    return null;
  }
}

function policyOf(source: string, target: { qualname: string; occurrence: number }): { policy?: string } {
  try {
    const verdict = checkFunctionBodyPolicy(source, target);
    return verdict && !verdict.ok ? { policy: verdict.violations[0]!.what.split(':')[0]! } : {};
  } catch (error) {
    if (error instanceof RangeError) return { policy: 'too deeply nested to check' };
    throw error;
  }
}
