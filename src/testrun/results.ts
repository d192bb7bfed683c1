import { z } from 'zod';
import type { CodeCheckResult } from '../tasks/code-check.js';
import { RESULTS_FILE } from './pytest-check.js';

export const TEST_OUTCOMES = ['passed', 'failed', 'error', 'skipped', 'xfailed', 'xpassed'] as const;
export type TestOutcome = (typeof TEST_OUTCOMES)[number];

const FrameSchema = z.object({ file: z.string(), line: z.number().int() });

// The plugin's records; every one carries the run's nonce `n`.
const TestRecord = z.object({
  t: z.literal('test'),
  nodeid: z.string(),
  outcome: z.enum(TEST_OUTCOMES),
  duration: z.number().nonnegative(),
  phase: z.enum(['setup', 'call', 'teardown']).optional(),
  message: z.string().nullable().optional(),
  traceback: z.string().optional(),
  frames: z.array(FrameSchema).optional(),
});
const RecordSchema = z.discriminatedUnion('t', [
  TestRecord,
  z.object({ t: z.literal('start'), nodeid: z.string() }),
  z.object({ t: z.literal('ready'), pytest: z.string(), python: z.string() }),
  z.object({ t: z.literal('setup'), error: z.string() }),
  z.object({ t: z.literal('collected'), nodeids: z.array(z.string()) }),
  z.object({ t: z.literal('collect'), nodeid: z.string(), message: z.string().nullable().optional() }),
  z.object({
    t: z.literal('session'),
    exitStatus: z.number().int(),
    counts: z.record(z.string(), z.number()),
    tampered: z.array(z.string()).optional(),
  }),
  z.object({ t: z.literal('fn'), id: z.number().int().nonnegative(), file: z.string(), qualname: z.string(), line: z.number().int() }),
  z.object({ t: z.literal('cover'), nodeid: z.string(), fns: z.array(z.number().int().nonnegative()) }),
]);
type PluginRecord = z.infer<typeof RecordSchema>;

/** One test's result, from the results channel. */
export interface TestResult {
  /** pytest's node id, relative to the repo root. */
  nodeid: string;
  outcome: TestOutcome;
  /** setup + call + teardown. */
  durationMs: number;
  /** The phase that decided a failure or error. */
  phase?: 'setup' | 'call' | 'teardown';
  /** For a failure or error: the crash message (the assertion's); for a skip or xfail: the reason. */
  message?: string;
  /** pytest's short traceback, trimmed. */
  traceback?: string;
  /** The traceback's frames, innermost last; files relative to the repo root when inside it. */
  frames?: Array<{ file: string; line: number }>;
}

/** What a pytest check's results channel says. */
export interface PytestResults {
  /**
   * The session finished, reported every test it collected or was asked for, and exited as it
   * said; false after a timeout, a crash (`os._exit`, a segfault, a killed process) or an interrupt.
   */
  complete: boolean;
  /** pytest's exit status as the session reported it (0 all passed, 1 some failed, 5 none collected...). */
  exitStatus?: number;
  /** Reported tests, in the order they ran. */
  tests: TestResult[];
  /** Selected or collected tests never reported (sorted): none of them passed. */
  missing: string[];
  /** The test that started and never finished: what took the process down. */
  crashed?: string;
  /** Modules that failed to import or collect. */
  collectErrors: Array<{ nodeid: string; message?: string }>;
  /**
   * The sandbox could not start pytest at all (it is not installed, say): set only when that was
   * the first thing the run wrote, before any repository code ran. Not the code under test's
   * doing; `runPytest` turns it into a CheckSandboxError (infrastructure).
   */
  setupError?: string;
  /** The tests pytest collected, when it got that far. */
  collected?: string[];
  /** Lines of the results file that were not ours (wrong or missing nonce, bad format). */
  ignoredLines: number;
  /**
   * Signs that the code under test wrote or bent the results (a test reported twice, a report
   * without its start, a second session, the plugin's own tamper checks): the run is then never
   * complete. Empty for an honest run.
   */
  tampered: string[];
  timedOut: boolean;
}

/** What a traced run adds: the functions entered, by test. */
export interface TraceData {
  functions: Map<number, { file: string; qualname: string; line: number }>;
  cover: Map<string, number[]>;
}

/** The nonce to check and, when the check selected tests, which: a {@link PytestCheck} has both. */
export type ResultsKey = string | { nonce: string; tests?: readonly string[] };

/** The records of the results file that carry the nonce and the plugin's format; the rest is counted. */
function readRecords(result: CodeCheckResult, nonce: string): { records: PluginRecord[]; ignored: number } {
  const raw = result.collected[RESULTS_FILE];
  const records: PluginRecord[] = [];
  let ignored = 0;
  if (!raw) return { records, ignored };
  for (const line of raw.toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      ignored++;
      continue;
    }
    if (typeof value !== 'object' || value === null || (value as { n?: unknown }).n !== nonce) {
      ignored++;
      continue;
    }
    const parsed = RecordSchema.safeParse(value);
    if (parsed.success) records.push(parsed.data);
    else ignored++;
  }
  return { records, ignored };
}

/** Whether a selection (a node id, a file or a folder) is answered by the reported node id. */
function selects(selection: string, nodeid: string): boolean {
  if (nodeid === selection) return true;
  const base = selection.replace(/\/+$/, '');
  return nodeid.startsWith(`${base}::`) || nodeid.startsWith(`${base}[`) || nodeid.startsWith(`${base}/`);
}

/**
 * Read a pytest check's results from its results channel — never from its output, which the code
 * under test can write. Lines without the run's nonce are ignored; a test counts only once
 * (its first record).
 */
export function parsePytestResults(result: CodeCheckResult, key: ResultsKey): PytestResults {
  const nonce = typeof key === 'string' ? key : key.nonce;
  const selected = typeof key === 'string' ? [] : [...(key.tests ?? [])];
  const { records, ignored } = readRecords(result, nonce);
  const tests = new Map<string, TestResult>();
  const started = new Set<string>();
  const collectErrors: PytestResults['collectErrors'] = [];
  let collected: string[] | undefined;
  let session: { exitStatus: number } | undefined;
  const tampered: string[] = [];
  const flag = (why: string): void => {
    if (tampered.length < 20 && !tampered.includes(why)) tampered.push(why);
  };
  // The plugin writes one stream in one order: collected, then start and test for each test, then
  // session. Anything else was written by someone else holding the nonce (the code under test).
  let setupError: string | undefined;
  for (const [i, r] of records.entries()) {
    if (r.t === 'setup') {
      if (i === 0) setupError = r.error;
      else flag('a setup failure after the run started');
      continue;
    }
    if (r.t === 'ready') {
      if (i !== 0) flag('a second ready record');
      continue;
    }
    if (session) flag(`a ${r.t} record after the session ended`);
    if (r.t === 'test' && tests.has(r.nodeid)) flag(`${r.nodeid} reported twice`);
    else if (r.t === 'test' && !started.has(r.nodeid)) flag(`${r.nodeid} reported without starting`);
    else if (r.t === 'start' && (started.has(r.nodeid) || collected === undefined)) flag(`${r.nodeid} started twice or before collection ended`);
    else if (r.t === 'collected' && collected) flag('a second collected record');
    else if (r.t === 'session' && session) flag('a second session record');
    else if (r.t === 'session' && r.tampered?.length) for (const t of r.tampered) flag(t);
    if (r.t === 'test' && !tests.has(r.nodeid)) {
      tests.set(r.nodeid, {
        nodeid: r.nodeid,
        outcome: r.outcome,
        durationMs: Math.round(r.duration * 1e6) / 1e3,
        ...(r.phase ? { phase: r.phase } : {}),
        ...(r.message != null ? { message: r.message } : {}),
        ...(r.traceback ? { traceback: r.traceback } : {}),
        ...(r.frames ? { frames: r.frames } : {}),
      });
    } else if (r.t === 'start') started.add(r.nodeid);
    else if (r.t === 'collected' && !collected) collected = r.nodeids;
    else if (r.t === 'collect') collectErrors.push({ nodeid: r.nodeid, ...(r.message != null ? { message: r.message } : {}) });
    else if (r.t === 'session' && !session) session = { exitStatus: r.exitStatus };
  }
  const reported = [...tests.keys()];
  const missing = new Set<string>();
  for (const id of collected ?? []) if (!tests.has(id)) missing.add(id);
  for (const sel of selected) if (!reported.some((id) => selects(sel, id))) missing.add(sel);
  const crashed = [...started].find((id) => !tests.has(id));
  const complete =
    tampered.length === 0 &&
    session !== undefined &&
    !result.timedOut &&
    missing.size === 0 &&
    crashed === undefined &&
    [0, 1, 5].includes(session.exitStatus) &&
    result.exitCode === session.exitStatus;
  return {
    complete,
    ...(session ? { exitStatus: session.exitStatus } : {}),
    tests: [...tests.values()],
    missing: [...missing].sort(),
    ...(crashed !== undefined ? { crashed } : {}),
    ...(setupError !== undefined ? { setupError } : {}),
    collectErrors,
    ...(collected ? { collected } : {}),
    ignoredLines: ignored,
    tampered,
    timedOut: result.timedOut,
  };
}

/** The trace records of a traced run (function table and, by test, the functions it entered). */
export function parseTrace(result: CodeCheckResult, key: ResultsKey): TraceData {
  const nonce = typeof key === 'string' ? key : key.nonce;
  const functions: TraceData['functions'] = new Map();
  const cover: TraceData['cover'] = new Map();
  for (const r of readRecords(result, nonce).records) {
    if (r.t === 'fn' && !functions.has(r.id)) functions.set(r.id, { file: r.file, qualname: r.qualname, line: r.line });
    else if (r.t === 'cover' && !cover.has(r.nodeid)) cover.set(r.nodeid, r.fns);
  }
  return { functions, cover };
}
