import type { TestResult } from '../../testrun/results.js';
import type { WorkspaceFiles } from '../../workspace/files.js';
import { isTestFile } from '../test-files.js';

/** The mutated function as it stands in the workspace the agent sees. */
export interface HiddenFunction {
  file: string;
  name: string;
  /** First decorator to last line, 1-based, inclusive. */
  line: number;
  endLine: number;
}

export interface IssueTextInput {
  /** The tests the bug makes fail (their results on the buggy workspace), in the order to show them. */
  failures: readonly TestResult[];
  /** The workspace the agent sees (the bug in it). */
  files: WorkspaceFiles;
  fn: HiddenFunction;
  /** Text that must not appear: the lines the mutation changed, before and after. */
  changed: readonly string[];
}

const SHOWN_TESTS = 3;
const MESSAGE_LINES = 12;
const LINE_CHARS = 200;
const FRAMES = 8;
// Body lines shorter than this (`else:`, `return x`) are too common to be a give-away; the changed lines count at any length.
const MIN_BODY_LINE = 8;

/**
 * What must not be in an issue text: every line of the function (its body and signature) of at
 * least a few characters, and the changed lines at any length, whitespace-trimmed. The function's
 * name too, unless the tests themselves name it (their ids or the test code shown).
 */
export function hiddenText(input: Pick<IssueTextInput, 'files' | 'fn' | 'changed'>): string[] {
  const lines = (input.files.get(input.fn.file)?.toString('utf8') ?? '').split('\n').slice(input.fn.line - 1, input.fn.endLine);
  const body = lines.map((l) => l.trim()).filter((l) => l.length >= MIN_BODY_LINE);
  const changed = input.changed.flatMap((c) => c.split('\n')).map((l) => l.trim()).filter((l) => l.length >= 3);
  return [...new Set([...body, ...changed])];
}

/** Whether `text` holds any of `hidden`, or the function's name as a word where `nameAllowed` is false. */
export function leaks(text: string, hidden: readonly string[], name: string | null): string | null {
  for (const h of hidden) if (text.includes(h)) return h;
  if (name && word(name).test(text)) return name;
  return null;
}

/**
 * The offline issue text: the failing tests' ids, assertion messages and tracebacks of repository
 * frames (file, line and that line's code), with every frame inside the mutated function left out
 * and every line that would show its code, the changed text or (when no test names it) its name
 * dropped. Null when nothing would be left to show.
 */
export function writeIssueText(input: IssueTextInput): string | null {
  const hidden = hiddenText(input);
  const shown = input.failures.slice(0, SHOWN_TESTS);
  const named = shown.some((t) => word(input.fn.name).test(t.nodeid) || testFrameLines(t, input).some((l) => word(input.fn.name).test(l)));
  const secret = named ? null : input.fn.name;
  const keep = (line: string): boolean => leaks(line, hidden, secret) === null;
  const sections: string[] = [];
  for (const t of shown) {
    if (!keep(t.nodeid)) continue;
    const out = [`${sections.length + 1}. \`${t.nodeid}\` ${t.outcome === 'error' ? 'errors' : 'fails'}:`];
    const message = (t.message ?? '').split('\n').slice(0, MESSAGE_LINES).map(clip).filter((l) => l.trim() !== '' && keep(l));
    if (message.length > 0) out.push('', ...message.map((l) => `       ${l}`));
    const frames = repoFrames(t, input).filter((f) => keep(f.where) && (f.code === null || keep(f.code)));
    if (frames.length > 0) {
      out.push('', '   Traceback (repository code only, most recent call last):');
      for (const f of frames) out.push(`     ${f.where}`, ...(f.code !== null && keep(f.code) ? [`         ${f.code}`] : []));
    }
    sections.push(out.join('\n'));
  }
  if (sections.length === 0) return null;
  const more = input.failures.length - shown.length;
  const head = input.failures.length === 1 ? 'A test of the repository fails; it is expected to pass.' : `${input.failures.length} tests of the repository fail; they are expected to pass.`;
  return [head, '', sections.join('\n\n'), ...(more > 0 ? ['', `(${more} more failing test${more === 1 ? '' : 's'} not shown.)`] : []), '', 'Find the cause of the failure.'].join('\n');
}

type Frame = { where: string; code: string | null };

/** The test's frames inside the repository and outside the mutated function, innermost last (at most a few). */
function repoFrames(t: TestResult, input: IssueTextInput): Frame[] {
  const out: Frame[] = [];
  for (const f of t.frames ?? []) {
    const text = input.files.get(f.file);
    if (!text) continue;
    if (f.file === input.fn.file && f.line >= input.fn.line && f.line <= input.fn.endLine) continue;
    const code = text.toString('utf8').split('\n')[f.line - 1]?.trim();
    out.push({ where: `${f.file}, line ${f.line}`, code: code ? clip(code) : null });
  }
  return out.slice(-FRAMES);
}

/** Source lines of the test's frames in test files: where the tests themselves may name the function. */
function testFrameLines(t: TestResult, input: IssueTextInput): string[] {
  return repoFrames(t, input).filter((f) => isTestFile(f.where.split(',')[0]!)).flatMap((f) => (f.code ? [f.code] : []));
}

/** A line cut to a readable length, with memory addresses (`at 0x7f81c825c7c0`) masked: they differ from run to run. */
const clip = (l: string): string => {
  const fixed = l.replace(/\b0x[0-9a-fA-F]{6,}\b/g, '0x...');
  return fixed.length > LINE_CHARS ? `${fixed.slice(0, LINE_CHARS)}...` : fixed;
};
/** A name as a whole word (not part of a longer identifier). */
export const word = (name: string): RegExp => new RegExp(`(?<![\\w])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w])`);
