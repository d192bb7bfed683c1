import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import pLimit from 'p-limit';
import { z } from 'zod';
import { NoInstancesError, NoPassingTestsError } from '../../errors.js';
import { parseOptions } from '../../options.js';
import { buildTestMap } from '../../testrun/test-map.js';
import { seededRandom, shuffled } from '../../util/seeded-random.js';
import { repoFiles } from '../../workspace/repo-cache.js';
import { TestedRepoOptionsShape } from '../tested-repo-options.js';
import { FuncGenCandidateOptionsSchema } from './candidates.js';
import type { FuncGenInstance } from './schema.js';
import { screenCandidate } from './screen.js';
import { BodyLeakCheck, scanCandidates, type Candidate } from './targets.js';

export const FuncGenOptionsSchema = FuncGenCandidateOptionsSchema.extend({
  ...TestedRepoOptionsShape,
  /** Most targets taken from one file. @default 5 */
  perFile: z.number().int().positive().default(5),
  /** Most tests an instance carries (a seeded sample of those that exercise the target). @default 10 */
  maxTests: z.number().int().positive().default(10),
  /** `binary` (1 when every test passes) or `fraction` (the share passing), written into each instance. @default 'binary' */
  reward: z.enum(['binary', 'fraction']).default('binary'),
}).strict();
export type FuncGenOptions = z.input<typeof FuncGenOptionsSchema>;

const REASONS = {
  policy: 'its body does what func-gen bodies may not (body policy)',
  workspace: 'its body is elsewhere in the repository',
  image: 'its body is in image',
  imageModule: 'a copy of its module (another version, say) is in image',
  'masked-passes': 'its tests pass with the body masked',
  'fails-alone': 'its tests fail when run on their own',
} as const;

/**
 * Seeded generation of func-gen instances from a repository with tests: builds (or reads from the
 * cache) the test map, takes functions that passing tests exercise, drops those whose answer is in
 * reach or that break the body policy, and screens each by running its tests on the masked and on
 * the original workspace. Same inputs and test outcomes, same bytes out.
 */
export async function generateFuncGen(input: FuncGenOptions): Promise<FuncGenInstance[]> {
  const o = parseOptions(FuncGenOptionsSchema, input, 'func-gen generator options');
  const repoPath = resolve(o.repo);
  const name = basename(repoPath);
  const files = await repoFiles(repoPath);
  const image = o.image ?? o.runner.image;
  if (![...files.keys()].some((f) => f.endsWith('.py'))) throw new NoInstancesError('func-gen', repoPath, 0, {});
  o.onProgress?.(`func-gen: test map of ${name} (runs the whole suite twice unless cached)`);
  const map = await buildTestMap(o.runner, files, {
    ...(image && { image }), ...(o.cacheDir && { cacheDir: o.cacheDir }), refresh: o.refreshTestMap, pytest: o.pytest,
  });
  if (map.tests.length === 0) throw new NoPassingTestsError('func-gen', repoPath, map.image, map.excluded.failing.length, map.collectErrors);
  const scan = scanCandidates(files, map, { minLines: o.minLines, maxLines: o.maxLines, includeTests: o.includeTests });
  o.onProgress?.(`func-gen: ${map.tests.length} passing tests, ${scan.candidates.length} candidate functions`);
  const contents = o.imageContents ?? (scan.candidates.length > 0 && o.loadImageContents ? await o.loadImageContents() : undefined);
  const dropped = new Map<string, string[]>();
  const drop = (reason: string, c: Candidate, where?: string) =>
    dropped.set(reason, [...(dropped.get(reason) ?? []), `${c.target.file}:${c.target.qualname}${where ? ` (${where})` : ''}`]);

  const leaks = new BodyLeakCheck(files);
  // In file order (each file parsed once): the body policy and the image, cheap for every candidate.
  const allowed = scan.candidates.filter((c) => {
    if (c.policy) return void drop(REASONS.policy, c, c.policy);
    if (contents?.hasBody(c.answer)) return void drop(`${REASONS.image} ${contents.name}`, c);
    // Another version of the module in the image: its body of the function would be a near answer.
    const copy = contents?.definitionIn?.(c.target.file, c.target.qualname);
    if (copy) return void drop(`${REASONS.imageModule} ${contents!.name}`, c, copy);
    return true;
  });
  const pool = shuffled(allowed, seededRandom(o.seed));
  const limit = pLimit(o.concurrency);
  const screen = { runner: o.runner, image, pytest: o.pytest, timeoutMs: o.testTimeoutMs };
  const perFile = new Map<string, number>();
  const instances: FuncGenInstance[] = [];
  let next = 0;
  while (next < pool.length && instances.length < o.n) {
    // A batch of the next candidates the caps still allow, screened side by side and accepted in
    // pool order: the outcome does not depend on which run finished first.
    const batch: Array<{ c: Candidate; tests: string[] }> = [];
    const size = Math.min(o.concurrency * 2, o.n - instances.length);
    for (; next < pool.length && batch.length < size; next++) {
      const c = pool[next]!;
      const taken = (perFile.get(c.target.file) ?? 0) + batch.filter((b) => b.c.target.file === c.target.file).length;
      if (taken >= o.perFile) continue;
      const inRepo = leaks.where(c);
      if (inRepo) {
        drop(REASONS.workspace, c, inRepo);
        continue;
      }
      batch.push({ c, tests: sampleTests(c, o.maxTests, o.seed) });
    }
    const verdicts = await Promise.all(batch.map(({ c, tests }) => limit(() => screenCandidate(files, { file: c.target.file, text: c.masked }, tests, screen))));
    batch.forEach(({ c }, k) => {
      const v = verdicts[k]!;
      if (!v.ok) return drop(REASONS[v.reason], c);
      if (instances.length >= o.n || (perFile.get(c.target.file) ?? 0) >= o.perFile) return;
      perFile.set(c.target.file, (perFile.get(c.target.file) ?? 0) + 1);
      instances.push(toInstance(c, v.tests, name, repoPath, o));
    });
    o.onProgress?.(`func-gen: ${instances.length} instances from ${next} of ${pool.length} candidates`);
  }
  if (scan.skippedFiles.length > 0) {
    o.onProgress?.(`func-gen: ${scan.skippedFiles.length} files skipped, not plain UTF-8 Python (another encoding, a lone carriage return, syntax errors), e.g. ${scan.skippedFiles[0]}`);
  }
  for (const [reason, examples] of dropped) o.onDropped?.({ task: 'func-gen', reason, count: examples.length, examples: examples.slice(0, 5) });
  const screened = [...dropped.values()].reduce((k, e) => k + e.length, 0);
  o.onProgress?.(
    `func-gen: ${instances.length} instances; of ${scan.candidates.length} candidates, ${screened} dropped and ` +
      `${scan.candidates.length - instances.length - screened} left over by the caps (n ${o.n}, perFile ${o.perFile})`,
  );
  return instances;
}

/** The target's tests, or a seeded sample of `max` of them, sorted. */
function sampleTests(c: Candidate, max: number, seed: number): string[] {
  if (c.tests.length <= max) return [...c.tests];
  const key = createHash('sha256').update(`${seed}\0${c.target.file}\0${c.target.qualname}\0${c.target.occurrence}`).digest();
  return shuffled(c.tests, seededRandom(key.readUInt32LE(0))).slice(0, max).sort();
}

function toInstance(
  c: Candidate,
  tests: string[],
  name: string,
  repoPath: string,
  o: { seed: number; reward: 'binary' | 'fraction'; pytest: Record<string, unknown>; image?: string | undefined },
): FuncGenInstance {
  const t = c.target;
  const image = o.image;
  const key = JSON.stringify([name, o.seed, t.file, t.qualname, t.occurrence, o.reward, tests, o.pytest]);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 10);
  const slug = t.name.replace(/[^A-Za-z0-9_]/g, '').slice(0, 24);
  return {
    id: `func-gen-${name.replace(/[^A-Za-z0-9_.-]/g, '')}-${slug}-${hash}`,
    task: 'func-gen',
    repo: { path: repoPath, name },
    seed: o.seed,
    ...(image && { image }),
    target: t,
    tests,
    reward: o.reward,
    ...(Object.keys(o.pytest).length > 0 && { pytest: o.pytest }),
  };
}
