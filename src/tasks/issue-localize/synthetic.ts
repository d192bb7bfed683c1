import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import pLimit from 'p-limit';
import { z } from 'zod';
import { NoInstancesError, NoPassingTestsError } from '../../errors.js';
import { parseOptions } from '../../options.js';
import { buildTestMap } from '../../testrun/test-map.js';
import { repoFiles } from '../../workspace/repo-cache.js';
import { TestedRepoOptionsShape } from '../tested-repo-options.js';
import type { DescribeBug } from './describe.js';
import { SYNTHETIC_DROP_REASONS } from './drop-reasons.js';
import { mutantPool, type MutantCandidate } from './mutant-pool.js';
import { MUTATION_KINDS, type SyntheticIssueInstance } from './schema.js';
import { screenMutant } from './screen-mutant.js';
import { problemStatement } from './statement.js';

export const SyntheticIssueOptionsSchema = z
  .object({
    ...TestedRepoOptionsShape,
    /** Most instances from one file. @default 3 */
    perFile: z.number().int().positive().default(3),
    /** Most tests run against one mutant (a seeded sample of those that enter the function). @default 10 */
    maxTests: z.number().int().positive().default(10),
    /** The mutation kinds to use, balanced. @default every kind */
    kinds: z.array(z.enum(MUTATION_KINDS)).min(1).default([...MUTATION_KINDS]),
    /** Functions shorter than this many lines (decorators to last line) are not mutated. @default 3 */
    minLines: z.number().int().positive().default(3),
    /** Nor longer than this. @default 150 */
    maxLines: z.number().int().positive().default(150),
    /** Mutants screened, at most, per instance asked for (`n`): bounds the time on a repository whose tests catch few. @default 4 */
    screensPerInstance: z.number().int().positive().default(4),
    /** Limit of each screening run. @default 120000 */
    testTimeoutMs: z.number().int().positive().default(120_000),
    /** `binary` or shaped `f1`, written into each instance. @default 'binary' */
    reward: z.enum(['binary', 'f1']).default('binary'),
    /** Most off-target places for a binary success, written into each instance. @default 2 */
    maxOffTarget: z.number().int().min(0).default(2),
    /** Rewrites the offline issue text (an LLM in a user's voice, say); a rewrite that leaks the bug is not used. */
    describe: z.custom<DescribeBug>((v) => typeof v === 'function', 'expected a function').optional(),
  })
  .strict();
export type SyntheticIssueOptions = z.input<typeof SyntheticIssueOptionsSchema>;

/**
 * Synthetic issue-localize instances: seeded mutations (balanced over kinds) of functions that the
 * repository's passing tests exercise, each kept only when some of those tests then fail and pass
 * on the original when run alone; the issue text comes from the failures, with the mutated
 * function's frames, code and (unless the tests name it) name left out.
 */
export async function generateSyntheticIssues(input: SyntheticIssueOptions): Promise<SyntheticIssueInstance[]> {
  const o = parseOptions(SyntheticIssueOptionsSchema, input, 'issue-localize generator options');
  const repoPath = resolve(o.repo);
  const name = basename(repoPath);
  const files = await repoFiles(repoPath);
  const image = o.image ?? o.runner.image;
  if (![...files.keys()].some((f) => f.endsWith('.py'))) throw new NoInstancesError('issue-localize', repoPath, 0, {});
  o.onProgress?.(`issue-localize: test map of ${name} (runs the whole suite twice unless cached)`);
  const map = await buildTestMap(o.runner, files, {
    ...(image && { image }), ...(o.cacheDir && { cacheDir: o.cacheDir }), refresh: o.refreshTestMap, pytest: o.pytest,
  });
  if (map.tests.length === 0) throw new NoPassingTestsError('issue-localize', repoPath, map.image, map.excluded.failing.length, map.collectErrors);
  const dropped = new Map<string, string[]>();
  const drop = (reason: string, where: string) => dropped.set(reason, [...(dropped.get(reason) ?? []), where]);
  const pool = await mutantPool(files, map, o, drop);
  o.onProgress?.(`issue-localize: ${map.tests.length} passing tests, ${pool.functions} functions to mutate, ${pool.queue.length} mutants`);

  const limit = pLimit(o.concurrency);
  const screen = { runner: o.runner, image, pytest: o.pytest, timeoutMs: o.testTimeoutMs };
  const used = new Set<string>();
  const perFile = new Map<string, number>();
  const instances: SyntheticIssueInstance[] = [];
  const budget = o.n * o.screensPerInstance;
  let screened = 0;
  let next = 0;
  while (next < pool.queue.length && instances.length < o.n && screened < budget) {
    // A batch of mutants of distinct functions the caps still allow, screened side by side and
    // accepted in pool order: the outcome does not depend on which run finished first.
    const batch: MutantCandidate[] = [];
    const size = Math.min(o.concurrency * 2, o.n - instances.length, budget - screened);
    for (; next < pool.queue.length && batch.length < size; next++) {
      const c = pool.queue[next]!;
      const taken = (perFile.get(c.file) ?? 0) + batch.filter((b) => b.file === c.file).length;
      if (used.has(c.key) || batch.some((b) => b.key === c.key) || taken >= o.perFile) continue;
      batch.push(c);
    }
    screened += batch.length;
    const verdicts = await Promise.all(batch.map((c) => limit(() => screenMutant(files, c, screen))));
    for (const [k, c] of batch.entries()) {
      const v = verdicts[k]!;
      const where = `${c.file}:${c.qualname} (${c.mutant.kind} at line ${c.mutant.line})`;
      if (!v.ok) {
        drop(SYNTHETIC_DROP_REASONS[v.reason], where);
        continue;
      }
      if (instances.length >= o.n || used.has(c.key) || (perFile.get(c.file) ?? 0) >= o.perFile) continue;
      const text = await problemStatement(c, v.failures, o.describe, o.onProgress);
      if (text === null) {
        drop(SYNTHETIC_DROP_REASONS['no-text'], where);
        continue;
      }
      used.add(c.key);
      perFile.set(c.file, (perFile.get(c.file) ?? 0) + 1);
      instances.push(toInstance(c, v.failures.map((t) => t.nodeid).sort(), text, name, repoPath, o));
    }
    o.onProgress?.(`issue-localize: ${instances.length} instances from ${screened} mutants screened`);
  }
  for (const [reason, examples] of dropped) o.onDropped?.({ task: 'issue-localize', reason, count: examples.length, examples: examples.slice(0, 5) });
  if (instances.length < o.n) {
    const why = screened >= budget ? `the screening budget ran out (n × screensPerInstance = ${budget} mutants)`
      : `every function was used or capped (perFile ${o.perFile}, one instance per function; ${pool.functions} functions)`;
    o.onProgress?.(`issue-localize: ${instances.length} of the ${o.n} instances asked for: ${why}; ${screened} of ${pool.queue.length} mutants screened`);
  }
  return instances;
}

function toInstance(
  c: MutantCandidate,
  tests: string[],
  problemStatement: string,
  name: string,
  repoPath: string,
  o: { seed: number; reward: 'binary' | 'f1'; maxOffTarget: number; pytest: Record<string, unknown>; image?: string | undefined },
): SyntheticIssueInstance {
  const m = c.mutant;
  const key = JSON.stringify([name, o.seed, c.file, c.qualname, c.occurrence, m.kind, m.line, m.mutated, o.reward, o.maxOffTarget, tests, o.pytest]);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 12);
  return {
    // Never the function's name: it is the answer, and ids reach logs, trajectories and prompts.
    id: `issue-localize-${name.replace(/[^A-Za-z0-9_.-]/g, '')}-${hash}`,
    task: 'issue-localize',
    source: 'synthetic',
    repo: { path: repoPath, name },
    seed: o.seed,
    ...(o.image && { image: o.image }),
    problemStatement,
    // Where lines were removed, the place to comment is the gap: the line above it and the one below (in the function).
    locations: [{ file: c.file, qualname: c.qualname, line: m.line, endLine: m.mutated === '' ? Math.min(m.line + 1, c.fn.endLine) : m.endLine }],
    mutation: { kind: m.kind, file: c.file, qualname: c.qualname, line: m.line, endLine: m.endLine, original: m.original, mutated: m.mutated },
    tests,
    reward: o.reward,
    maxOffTarget: o.maxOffTarget,
    ...(Object.keys(o.pytest).length > 0 && { pytest: o.pytest }),
  };
}
