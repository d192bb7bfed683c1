import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { NoInstancesError, ValidationError } from '../../errors.js';
import { parseOptions } from '../../options.js';
import { seededRandom, shuffled } from '../../util/seeded-random.js';
import { isImageContents, type DroppedTargets, type ImageContents } from '../image-contents.js';
import { fixInImage } from './row-image-check.js';
import { CommitNotFoundError, filesAtCommit, resolveCommit } from './git-tree.js';
import { plainSource } from '../source-form.js';
import { goldLocations, patchPaths } from './patch-locations.js';
import { CloneNotFoundError, findClone, readIssueRows, type IssueRow } from './rows.js';
import { RowIssueInstanceSchema, type RowIssueInstance } from './schema.js';

export const IssueRowsOptionsSchema = z.object({
  /** JSON lines of issue rows in SWE-bench / SWE-Gym form. */
  issues: z.string().min(1),
  /** The folder of the repositories' clones: `<reposDir>/<owner>__<name>` or `<reposDir>/<name>`. */
  reposDir: z.string().min(1),
  /** Picks the rows when `n` is fewer than the rows. @default 0 */
  seed: z.number().int().default(0),
  /** Most instances: a seeded sample of the usable rows, kept in file order. @default every usable row */
  n: z.number().int().positive().optional(),
  /** Written into each instance. @default 'binary' */
  reward: z.enum(['binary', 'f1']).default('binary'),
  /** Written into each instance. @default 2 */
  maxOffTarget: z.number().int().min(0).default(2),
  /** The episode image's contents: a row whose fixed code the image holds (a later release of the package) is dropped. */
  imageContents: z.custom<ImageContents>(isImageContents, 'expected an ImageContents ({ name, hasDocstring, hasBody })').optional(),
  /** Loads `imageContents` when there are rows to check (what make() and the CLI pass). */
  loadImageContents: z.custom<() => Promise<ImageContents>>((v) => typeof v === 'function', 'expected a function').optional(),
  /** Told, after generation, how many rows were dropped and why (once per reason). */
  onDropped: z.custom<(dropped: DroppedTargets) => void>((v) => typeof v === 'function', 'expected a function').optional(),
  /** Told what generation is doing, for progress lines. */
  onProgress: z.custom<(line: string) => void>((v) => typeof v === 'function', 'expected a function').optional(),
}).strict();
export type IssueRowsOptions = z.input<typeof IssueRowsOptionsSchema>;

/** No row of an issues file gave an instance; `reasons` counts the rows per reason. */
export class NoIssueInstancesError extends NoInstancesError {
  readonly rows: number;
  constructor(issues: string, rows: number, reasons: Readonly<Record<string, number>>) {
    super('issue-localize', issues, 0, reasons);
    const why = Object.entries(reasons).sort((a, b) => b[1] - a[1]).map(([r, k]) => `${r}: ${k}`).join(', ');
    this.message = rows === 0
      ? `issue-localize found no instances in ${issues}: it holds no rows`
      : `issue-localize found no instances in ${issues}: none of its ${rows} row${rows === 1 ? '' : 's'} gave one (${why})`;
    this.rows = rows;
  }
}

const REASONS = {
  clone: 'no clone of its repository in reposDir',
  commit: 'its base_commit is not in the clone',
  patch: 'its patch is not a unified diff',
  none: 'its patch changes no Python file outside tests that the base tree holds',
  image: 'its fixed code is in image',
  encoding: 'a gold file is not plain UTF-8 (another coding, a byte-order mark or a lone carriage return): the editor could not keep it byte for byte',
} as const;

/**
 * issue-localize instances from issue rows and local clones: each row's workspace is the clone's
 * tree at `base_commit` and its gold locations are where the row's patch changes that tree. Rows
 * whose clone or commit is missing, or whose patch touches no placeable Python code, are dropped
 * and reported through `onDropped`. Same rows, clones and options, same instances in file order.
 */
export async function generateFromRows(input: IssueRowsOptions): Promise<RowIssueInstance[]> {
  const o = parseOptions(IssueRowsOptionsSchema, input, 'issue-localize row options');
  const issues = resolve(o.issues);
  await expectPath(issues, 'file', 'issues');
  await expectPath(resolve(o.reposDir), 'dir', 'reposDir');
  const rows = await readIssueRows(issues);
  const order = rows.map((_, k) => k);
  const want = o.n ?? rows.length;
  // With a cap, rows are tried in a seeded order until enough are usable, then put back in file order.
  const tryOrder = want < rows.length ? shuffled(order, seededRandom(o.seed)) : order;
  const dropped = new Map<string, string[]>();
  const drop = (reason: string, example: string) => {
    const list = dropped.get(reason) ?? [];
    list.push(example);
    dropped.set(reason, list);
  };
  // The image is asked once, and only when a row gets that far.
  let loaded: Promise<ImageContents | undefined> | undefined;
  const contents = () => (loaded ??= Promise.resolve(o.imageContents ?? o.loadImageContents?.()));
  const made: Array<{ index: number; instance: RowIssueInstance }> = [];
  let tried = 0;
  for (const index of tryOrder) {
    if (made.length >= want) break;
    tried++;
    const row = rows[index]!;
    const instance = await fromRow(row, { ...o, contents: await contents() }, drop);
    if (instance) made.push({ index, instance });
    if (tried % 10 === 0) o.onProgress?.(`issue-localize: ${made.length} instances from ${tried} of ${rows.length} rows`);
  }
  for (const [reason, examples] of dropped) o.onDropped?.({ task: 'issue-localize', reason, count: examples.length, examples: examples.slice(0, 5) });
  o.onProgress?.(`issue-localize: ${made.length} instances from ${tried} of ${rows.length} rows (${tried - made.length} dropped)`);
  if (made.length === 0) {
    throw new NoIssueInstancesError(issues, rows.length, Object.fromEntries([...dropped].map(([r, e]) => [r, e.length])));
  }
  return made.sort((a, b) => a.index - b.index).map((m) => m.instance);
}

async function fromRow(
  row: IssueRow,
  o: { reposDir: string; seed: number; reward: 'binary' | 'f1'; maxOffTarget: number; contents: ImageContents | undefined },
  drop: (reason: string, example: string) => void,
): Promise<RowIssueInstance | undefined> {
  let clone: string;
  try {
    clone = await findClone(o.reposDir, row.repo);
  } catch (e) {
    if (!(e instanceof CloneNotFoundError)) throw e;
    return void drop(REASONS.clone, `${row.instance_id} (tried ${e.tried.join(', ')})`);
  }
  let paths: string[];
  try {
    paths = patchPaths(row.patch);
    if (paths.length === 0) throw new ValidationError('patch', [{ path: '', message: 'no file header (--- a/..., +++ b/...) in it' }]);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return void drop(REASONS.patch, `${row.instance_id} (${e.issues.map((i) => i.message).join('; ')})`);
  }
  let sha: string;
  let files;
  try {
    sha = await resolveCommit(clone, row.base_commit);
    // Only the files the patch names: the episode reads the whole tree, generation needs no more.
    files = await filesAtCommit(clone, sha, paths);
  } catch (e) {
    if (!(e instanceof CommitNotFoundError)) throw e;
    return void drop(REASONS.commit, `${row.instance_id} (${row.base_commit} in ${clone})`);
  }
  const gold = goldLocations(row.patch, files);
  if (gold.locations.length === 0) {
    const why = gold.skipped.slice(0, 3).map((s) => `${s.file}: ${s.reason}`).join('; ');
    return void drop(REASONS.none, `${row.instance_id}${why ? ` (${why})` : ''}`);
  }
  const inImage = o.contents && fixInImage(row.patch, files, gold.locations, o.contents);
  if (inImage) return void drop(`${REASONS.image} ${o.contents!.name}`, `${row.instance_id} (${inImage})`);
  // The agent's editor (and the oracle's) keeps only plain UTF-8 files byte for byte.
  const odd = [...new Set(gold.locations.map((l) => l.file))].filter((f) => !plainSource(files.get(f)!));
  if (odd.length > 0) return void drop(REASONS.encoding, `${row.instance_id} (${odd[0]})`);
  const hash = createHash('sha256').update(JSON.stringify([row.instance_id, o.reward, o.maxOffTarget])).digest('hex').slice(0, 8);
  return RowIssueInstanceSchema.parse({
    id: `issue-localize-${row.instance_id.replace(/[^A-Za-z0-9_.-]+/g, '-')}-${hash}`,
    task: 'issue-localize',
    source: 'issue',
    repo: { path: clone, name: row.repo },
    seed: o.seed,
    instanceId: row.instance_id,
    baseCommit: sha,
    problemStatement: row.problem_statement.trim(),
    locations: gold.locations,
    reward: o.reward,
    maxOffTarget: o.maxOffTarget,
  });
}

// A mistyped folder would otherwise drop every row as cloneless.
async function expectPath(path: string, kind: 'file' | 'dir', option: string): Promise<void> {
  const s = await stat(path).catch(() => undefined);
  if (kind === 'file' ? s?.isFile() : s?.isDirectory()) return;
  throw new ValidationError('issue-localize row options', [{ path: option, message: `expected ${kind === 'file' ? 'a file' : 'a folder'}, received ${path}${s ? '' : ' (it does not exist)'}` }]);
}
