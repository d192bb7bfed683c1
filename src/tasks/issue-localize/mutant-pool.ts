import { createHash } from 'node:crypto';
import type { TestMap } from '../../testrun/test-map.js';
import { seededRandom, shuffled } from '../../util/seeded-random.js';
import type { WorkspaceFiles } from '../../workspace/files.js';
import { codeEnd, functionBodies } from '../func-gen/body.js';
import { plainSource } from '../source-form.js';
import { normalizeAnswerText, type ImageContents } from '../image-contents.js';
import { leakSearchText } from '../leak-text.js';
import { isProtectedForChecks } from '../protected-files.js';
import { SYNTHETIC_DROP_REASONS } from './drop-reasons.js';
import { functionMutants, type Mutant } from './mutate.js';
import type { MutationKind } from './schema.js';

/** One mutant of one tested function, ready to screen. */
export interface MutantCandidate {
  /** The function: `file\0qualname\0occurrence`. */
  key: string;
  file: string;
  qualname: string;
  name: string;
  occurrence: number;
  /** The function in the mutated file: first decorator to last line. */
  fn: { line: number; endLine: number };
  mutant: Mutant;
  /** The tests to run against it: a seeded sample of those that enter the function. */
  tests: string[];
  /** The workspace with the mutant in it (what the agent would see), made when asked: most queued mutants are never screened. */
  readonly files: WorkspaceFiles;
}

export interface PoolOptions {
  seed: number;
  kinds: readonly MutationKind[];
  minLines: number;
  maxLines: number;
  maxTests: number;
  imageContents?: ImageContents | undefined;
  loadImageContents?: (() => Promise<ImageContents>) | undefined;
}

type Drop = (reason: string, where: string) => void;

/**
 * Every tested function's mutants, one per kind and function (seeded), in the order to screen
 * them: the kinds taken in turn, each kind's functions shuffled. Functions whose code is also in
 * the image or elsewhere in the repository are dropped (the copy would show the change).
 */
export async function mutantPool(files: WorkspaceFiles, map: TestMap, o: PoolOptions, drop: Drop): Promise<{ functions: number; queue: MutantCandidate[] }> {
  const byFile = new Map<string, TestMap['functions']>();
  for (const f of map.functions) {
    const bytes = files.get(f.file);
    if (!bytes || !f.file.endsWith('.py') || isProtectedForChecks(f.file) || !plainSource(bytes)) continue;
    byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
  }
  type Fn = Omit<MutantCandidate, 'mutant' | 'files' | 'fn'> & { mutants: Mutant[]; answer: string; line: number; endLine: number };
  const fns: Fn[] = [];
  for (const file of [...byFile.keys()].sort()) {
    const text = files.get(file)!.toString('utf8');
    const parsed = functionBodies(text, file);
    if (parsed.hasErrors) continue;
    for (const f of byFile.get(file)!) {
      const body = parsed.functions.find((b) => b.definition.qualname === f.qualname && b.definition.anchorLine === f.line);
      if (!body || body.statements.length === 0) continue;
      const d = body.definition;
      if (d.endLine - d.anchorLine + 1 < o.minLines || d.endLine - d.anchorLine + 1 > o.maxLines) continue;
      const tests = f.tests.filter((id) => id.split('::')[0] !== file);
      const mutants = functionMutants(text, { qualname: f.qualname, occurrence: body.occurrence }).filter((m) => o.kinds.includes(m.kind));
      if (tests.length === 0 || mutants.length === 0) continue;
      const answer = normalizeAnswerText(text.slice(body.statements[0]!.start, codeEnd(body.statements[body.statements.length - 1]!)));
      const key = `${file}\0${f.qualname}\0${body.occurrence}`;
      fns.push({ key, file, qualname: f.qualname, name: d.name, occurrence: body.occurrence, tests: sample(tests, o.maxTests, o.seed, key), mutants, answer, line: d.anchorLine, endLine: d.endLine });
    }
  }
  const contents = o.imageContents ?? (fns.length > 0 && o.loadImageContents ? await o.loadImageContents() : undefined);
  const copies = new CopyCheck(files);
  const kept = fns.filter((f) => {
    const where = `${f.file}:${f.qualname}`;
    if (contents?.hasBody(f.answer)) return void drop(`${SYNTHETIC_DROP_REASONS.image} ${contents.name}`, where);
    // Another version of the module in the image: a diff against it would show the mutated line among the differences.
    const copy = contents?.definitionIn?.(f.file, f.qualname);
    if (copy) return void drop(`${SYNTHETIC_DROP_REASONS.imageModule} ${contents!.name}`, `${where} (${copy})`);
    const inRepo = copies.where(f.file, f.answer);
    if (inRepo) return void drop(SYNTHETIC_DROP_REASONS.workspace, `${where} (${inRepo})`);
    return true;
  });

  const rand = seededRandom(o.seed);
  const queues = o.kinds.map((kind) =>
    shuffled(
      kept.flatMap((f) => {
        const mine = f.mutants.filter((m) => m.kind === kind);
        if (mine.length === 0) return [];
        const m = mine[Math.floor(pick(o.seed, f.key, kind) * mine.length)]!;
        const shift = lineCount(m.mutated) - lineCount(m.original);
        const { mutants: _m, answer: _a, line, endLine, ...rest } = f;
        return [{ ...rest, fn: { line, endLine: endLine + shift }, mutant: m, get files() { return withMutant(files, f.file, m.source); } }];
      }),
      rand,
    ),
  );
  const queue: MutantCandidate[] = [];
  for (let i = 0; queues.some((q) => i < q.length); i++) for (const q of queues) if (i < q.length) queue.push(q[i]!);
  return { functions: kept.length, queue };
}

const withMutant = (files: WorkspaceFiles, file: string, source: string): WorkspaceFiles => new Map(files).set(file, Buffer.from(source, 'utf8'));

const lineCount = (text: string): number => (text === '' ? 0 : text.split('\n').length);

/** A number in [0, 1) fixed by the seed and the names. */
function pick(seed: number, ...names: string[]): number {
  return createHash('sha256').update([seed, ...names].join('\0')).digest().readUInt32LE(0) / 2 ** 32;
}

function sample(tests: string[], max: number, seed: number, key: string): string[] {
  const sorted = [...tests].sort();
  if (sorted.length <= max) return sorted;
  return shuffled(sorted, seededRandom(Math.floor(pick(seed, key, 'tests') * 2 ** 32))).slice(0, max).sort();
}

/** Whether a function's code is in another file (an archive's members included), or twice in its own. Each file's text is collapsed once. */
class CopyCheck {
  private readonly collapsed = new Map<string, string>();
  constructor(private readonly files: WorkspaceFiles) {}

  where(file: string, answer: string): string | null {
    for (const [other, content] of this.files) {
      let text = this.collapsed.get(other);
      if (text === undefined) {
        text = leakSearchText(content);
        this.collapsed.set(other, text);
      }
      const at = text.indexOf(answer);
      if (at >= 0 && (other !== file || text.indexOf(answer, at + 1) >= 0)) return other;
    }
    return null;
  }
}
