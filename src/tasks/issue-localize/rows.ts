import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { HybridGymError, ValidationError } from '../../errors.js';

const Segment = /^(?!\.\.?$)[A-Za-z0-9_.-]+$/;

/** A list of pytest node ids: SWE-bench writes it as a JSON-encoded string, other sources as an array. */
const TestList = z.union([
  z.array(z.string()),
  z.string().transform((text, ctx): string[] => {
    try {
      const value: unknown = JSON.parse(text);
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'expected a list of test ids (an array, or a JSON-encoded array of strings)', input: text });
    return z.NEVER;
  }),
]);

/**
 * One issue row in SWE-bench / SWE-Gym form. Fields it does not name pass through untouched;
 * `FAIL_TO_PASS` and `PASS_TO_PASS` come out as arrays either way.
 */
export const IssueRowSchema = z.looseObject({
  instance_id: z.string().min(1),
  /** `owner/name` on GitHub. */
  repo: z.string().refine((r) => {
    const parts = r.split('/');
    return parts.length === 2 && parts.every((p) => Segment.test(p));
  }, 'expected "owner/name"'),
  base_commit: z.string().regex(/^[0-9a-fA-F]{7,64}$/, 'expected a commit id (hex)'),
  problem_statement: z.string().refine((s) => s.trim().length > 0, 'expected a non-empty issue text'),
  /** The gold fix, a unified diff against `base_commit`. */
  patch: z.string().refine((s) => s.trim().length > 0, 'expected a non-empty unified diff'),
  test_patch: z.string().optional(),
  FAIL_TO_PASS: TestList.optional(),
  PASS_TO_PASS: TestList.optional(),
});
export type IssueRow = z.output<typeof IssueRowSchema>;

/**
 * Reads issue rows from a JSON lines file (blank lines skipped). A line that is not JSON or not a
 * row, and an `instance_id` seen on an earlier line, throw a {@link ValidationError} naming the file,
 * the 1-based line and the field.
 */
export async function readIssueRows(path: string): Promise<IssueRow[]> {
  const text = await readFile(path, 'utf8');
  const rows: IssueRow[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k]!.trim();
    if (!line) continue;
    const what = `issue row (${path} line ${k + 1})`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new ValidationError(what, [{ path: '', message: `not JSON (${(e as Error).message})` }]);
    }
    const parsed = IssueRowSchema.safeParse(value);
    if (!parsed.success) {
      throw new ValidationError(
        what,
        parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      );
    }
    const first = seen.get(parsed.data.instance_id);
    if (first !== undefined) {
      throw new ValidationError(what, [{ path: 'instance_id', message: `duplicate "${parsed.data.instance_id}", first on line ${first}` }]);
    }
    seen.set(parsed.data.instance_id, k + 1);
    rows.push(parsed.data);
  }
  return rows;
}

/** No git clone of a row's repository in the repositories folder. */
export class CloneNotFoundError extends HybridGymError {
  readonly repo: string;
  /** The folders looked at, in order. */
  readonly tried: ReadonlyArray<string>;
  constructor(repo: string, tried: ReadonlyArray<string>) {
    super('CLONE_NOT_FOUND', `No git clone of ${repo}: tried ${tried.join(' and ')}`);
    this.repo = repo;
    this.tried = tried;
  }
}

/**
 * The absolute path of the first git clone (a working tree with `.git`, or a bare repository) among
 * `reposDir/owner__name` and `reposDir/name`; a {@link CloneNotFoundError} naming both otherwise.
 */
export async function findClone(reposDir: string, repo: string): Promise<string> {
  const [owner, name] = repo.split('/');
  if (!owner || !name || !Segment.test(owner) || !Segment.test(name) || repo.split('/').length !== 2) {
    throw new ValidationError('repository name', [{ path: 'repo', message: `expected "owner/name", received "${repo}"` }]);
  }
  const tried = [join(resolve(reposDir), `${owner}__${name}`), join(resolve(reposDir), name)];
  for (const dir of tried) if (await isGitClone(dir)) return dir;
  throw new CloneNotFoundError(repo, tried);
}

// A folder of its own repository: not just a folder that happens to sit inside some other work tree.
async function isGitClone(dir: string): Promise<boolean> {
  const exists = async (p: string, kind: 'file' | 'dir' | 'any'): Promise<boolean> => {
    try {
      const s = await stat(p);
      return kind === 'any' || (kind === 'dir' ? s.isDirectory() : s.isFile());
    } catch {
      return false;
    }
  };
  if (!(await exists(dir, 'dir'))) return false;
  if (await exists(join(dir, '.git'), 'any')) return true;
  return (await exists(join(dir, 'HEAD'), 'file')) && (await exists(join(dir, 'objects'), 'dir')) && (await exists(join(dir, 'refs'), 'dir'));
}
