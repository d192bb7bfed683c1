import { createHash } from 'node:crypto';
import { join } from 'node:path';
import createDebug from 'debug';
import { z } from 'zod';
import { HybridGymError } from '../errors.js';
import { DEFAULT_IMAGE } from '../image/default-image.js';
import { cacheRoot, readJsonCache, writeJsonCache } from '../util/json-cache.js';
import { parseOptions } from '../options.js';
import type { CodeRunner } from '../tasks/code-check.js';
import type { WorkspaceFiles } from '../workspace/files.js';
import { pytestCheck, SuitePytestOptionsSchema } from './pytest-check.js';
import { BOOTSTRAP_SOURCE, PLUGIN_SOURCE } from './python-sources.js';
import { parsePytestResults, parseTrace, type TestOutcome } from './results.js';

const log = createDebug('hybrid-gym:testrun');

// Bump when the map's meaning or shape changes, so old cache files are rebuilt.
const FORMAT = 3;

const sortedStrings = z.array(z.string());

export const TestMapSchema = z.object({
  format: z.literal(FORMAT),
  /** Content hash of the repo's files. */
  repoHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** The image the tests ran in. */
  image: z.string(),
  /** How long building took (the traced and the untraced run, and any reruns). */
  buildMs: z.number().nonnegative(),
  /** Tests that passed in both runs: the ones a task may rely on. */
  tests: sortedStrings,
  /** In-repo functions and methods (not in test files) entered by those tests. */
  functions: z.array(
    z.object({
      file: z.string(),
      /** `co_qualname`: `Class.method`, `outer.<locals>.inner`. */
      qualname: z.string(),
      /** `co_firstlineno`: the first decorator's line for a decorated function, else the `def` line. */
      line: z.number().int().positive(),
      tests: sortedStrings,
    }),
  ),
  excluded: z.object({
    /** Failed or errored in both runs, or never finished (crashed the run, timed out). */
    failing: sortedStrings,
    /** Outcomes differed between the traced and the untraced run. */
    flaky: sortedStrings,
    /** Skipped, xfailed or xpassed in both runs: no verdict to rely on. */
    skipped: sortedStrings,
  }),
  /** Test modules that failed to collect (their tests are in none of the lists), with pytest's reason. */
  collectErrors: z.array(z.object({ nodeid: z.string(), message: z.string().optional() })),
});

export type TestMap = z.output<typeof TestMapSchema>;

export const BuildTestMapOptionsSchema = z
  .object({
    /**
     * The image to run the tests in (part of the cache key).
     * @default the runner's own image (`runner.image`), else DEFAULT_IMAGE
     */
    image: z.string().min(1).optional(),
    /** Where maps are cached (under `test-maps/`). @default $HYBRID_GYM_CACHE or ~/.cache/hybrid-gym */
    cacheDir: z.string().min(1).optional(),
    /** Limit of each run. @default 600000 */
    timeoutMs: z.number().int().positive().default(600_000),
    /** Build even when a cached map exists (and replace it). @default false */
    refresh: z.boolean().default(false),
    /** Runs after a crash (`os._exit`, a segfault) that continue with the tests not yet reported. @default 5 */
    maxReruns: z.number().int().nonnegative().default(5),
    /** pytestCheck options for the suite (plugins, pythonPath, keepAddopts). @default {} */
    pytest: SuitePytestOptionsSchema.default({}),
  })
  .strict();

export type BuildTestMapOptions = z.input<typeof BuildTestMapOptionsSchema>;

/** The test map could not be built: the suite produced no results at all. */
export class TestMapError extends HybridGymError {
  constructor(message: string) {
    super('TEST_MAP', message);
  }
}

/** Content hash of a repo's files: path and bytes of each, in path order. */
export function hashFiles(files: WorkspaceFiles): string {
  const h = createHash('sha256');
  for (const path of [...files.keys()].sort()) {
    const content = files.get(path)!;
    h.update(`${path}\0${content.length}\0`);
    h.update(content);
  }
  return h.digest('hex');
}

/** The default cache folder: $HYBRID_GYM_CACHE, else ~/.cache/hybrid-gym. */
export const defaultCacheDir = cacheRoot;

type Outcome = TestOutcome | 'unfinished';

interface SuiteRun {
  outcomes: Map<string, Outcome>;
  cover: Map<string, Set<string>>;
  functions: Map<string, { file: string; qualname: string; line: number }>;
  collectErrors: Map<string, string | undefined>;
}

/**
 * Run the whole suite once; after a crash, run again on what was not reported yet, the crashing
 * test counted as unfinished. Functions are keyed by file, qualname and line across runs.
 */
async function runSuite(
  runner: CodeRunner,
  files: WorkspaceFiles,
  o: z.output<typeof BuildTestMapOptionsSchema>,
  trace: boolean,
): Promise<SuiteRun> {
  const run: SuiteRun = { outcomes: new Map(), cover: new Map(), functions: new Map(), collectErrors: new Map() };
  let selection: string[] | undefined;
  for (let round = 0; round <= o.maxReruns; round++) {
    const check = pytestCheck({
      ...o.pytest,
      trace,
      timeoutMs: o.timeoutMs,
      name: trace ? 'pytest-trace' : 'pytest',
      ...(selection ? { tests: selection } : {}),
    });
    const result = await runner.run(files, check, o.image ? { image: o.image } : {});
    const parsed = parsePytestResults(result, check);
    log('%s run %d: %d tests, complete %s, crashed %s', check.name, round, parsed.tests.length, parsed.complete, parsed.crashed);
    if (round === 0 && parsed.tests.length === 0 && !parsed.collected && parsed.exitStatus === undefined) {
      throw new TestMapError(`pytest gave no results (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}): ${result.output.slice(-2000)}`);
    }
    for (const t of parsed.tests) run.outcomes.set(t.nodeid, t.outcome);
    for (const c of parsed.collectErrors) if (!run.collectErrors.get(c.nodeid)) run.collectErrors.set(c.nodeid, c.message);
    if (trace) {
      const data = parseTrace(result, check);
      const keyOf = new Map<number, string>();
      for (const [id, fn] of data.functions) {
        const key = `${fn.file}\0${fn.qualname}\0${fn.line}`;
        keyOf.set(id, key);
        run.functions.set(key, fn);
      }
      for (const [nodeid, ids] of data.cover) {
        run.cover.set(nodeid, new Set(ids.map((id) => keyOf.get(id)).filter((k): k is string => k !== undefined)));
      }
    }
    const rest = parsed.missing.filter((id) => id !== parsed.crashed && !run.outcomes.has(id));
    if (parsed.crashed !== undefined) run.outcomes.set(parsed.crashed, 'unfinished');
    if (parsed.complete || parsed.crashed === undefined || rest.length === 0) {
      for (const id of rest) run.outcomes.set(id, 'unfinished');
      return run;
    }
    selection = rest;
  }
  for (const id of selection ?? []) if (!run.outcomes.has(id)) run.outcomes.set(id, 'unfinished');
  return run;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Which tests exercise which in-repo functions and methods, from one traced run of the suite (a
 * profiler records the code objects each test enters in setup, call and teardown) and one untraced
 * run (tests whose outcome differs are flaky). Only tests that passed both times are mapped; the
 * others are excluded and listed. Cached on the host by the files' content hash and the image.
 */
export async function buildTestMap(runner: CodeRunner, files: WorkspaceFiles, options: BuildTestMapOptions = {}): Promise<TestMap> {
  const o = parseOptions(BuildTestMapOptionsSchema, options, 'buildTestMap options');
  const image = o.image ?? runner.image ?? DEFAULT_IMAGE;
  const repoHash = hashFiles(files);
  const key = createHash('sha256')
    .update(JSON.stringify([FORMAT, repoHash, image, o.pytest, PLUGIN_SOURCE, BOOTSTRAP_SOURCE]))
    .digest('hex');
  const cacheFile = join(o.cacheDir ?? defaultCacheDir(), 'test-maps', `${key}.json`);
  if (!o.refresh) {
    const cached = await readCached(cacheFile, repoHash, image);
    if (cached) return cached;
  }
  const started = Date.now();
  const traced = await runSuite(runner, files, o, true);
  const plain = await runSuite(runner, files, o, false);
  const tests: string[] = [];
  const failing: string[] = [];
  const flaky: string[] = [];
  const skipped: string[] = [];
  for (const id of new Set([...traced.outcomes.keys(), ...plain.outcomes.keys()])) {
    const a = traced.outcomes.get(id);
    const b = plain.outcomes.get(id);
    if (a === undefined || b === undefined) {
      // Reported by one run only: unfinished there if it crashed, else the suites differed.
      (a === 'unfinished' || b === 'unfinished' ? failing : flaky).push(id);
    } else if (a !== b) flaky.push(id);
    else if (a === 'passed') tests.push(id);
    else if (a === 'skipped' || a === 'xfailed' || a === 'xpassed') skipped.push(id);
    else failing.push(id);
  }
  const passing = new Set(tests);
  const byFunction = new Map<string, string[]>();
  for (const [nodeid, keys] of traced.cover) {
    if (!passing.has(nodeid)) continue;
    for (const k of keys) {
      const list = byFunction.get(k);
      if (list) list.push(nodeid);
      else byFunction.set(k, [nodeid]);
    }
  }
  const functions = [...byFunction]
    .map(([k, ts]) => ({ ...traced.functions.get(k)!, tests: ts.sort(byString) }))
    .sort((x, y) => byString(x.file, y.file) || x.line - y.line || byString(x.qualname, y.qualname));
  const map: TestMap = {
    format: FORMAT,
    repoHash,
    image,
    buildMs: Date.now() - started,
    tests: tests.sort(byString),
    functions,
    excluded: { failing: failing.sort(byString), flaky: flaky.sort(byString), skipped: skipped.sort(byString) },
    collectErrors: [...new Map([...plain.collectErrors, ...traced.collectErrors])]
      .sort(([a], [b]) => byString(a, b))
      .map(([nodeid, message]) => (message ? { nodeid, message: message.slice(-2000) } : { nodeid })),
  };
  await writeCached(cacheFile, map);
  return map;
}

/** A cached map of these files and this image, or undefined (then it is rebuilt). */
async function readCached(file: string, repoHash: string, image: string): Promise<TestMap | undefined> {
  const map = await readJsonCache(file, TestMapSchema, (reason) => log('ignoring the cached test map %s: %s', file, reason));
  return map && map.repoHash === repoHash && map.image === image ? map : undefined;
}

async function writeCached(file: string, map: TestMap): Promise<void> {
  await writeJsonCache(file, map).catch((err) => log('could not cache the test map at %s: %s', file, (err as Error).message));
}
