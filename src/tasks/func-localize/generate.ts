import { createHash } from 'node:crypto';
import { isTestFile } from '../test-files.js';
import { basename, resolve } from 'node:path';
import { z } from 'zod';
import { indexRepo, type AnalyzedRepo } from '../../analysis/index.js';
import type { Definition } from '../../analysis/types.js';
import { seededRandom, shuffled } from '../../util/seeded-random.js';
import { parseOptions } from '../../options.js';
import { describeFromDocstring, type DescribeHook } from './describe.js';
import { maskable } from './mask.js';
import type { FuncLocalizeInstance, FuncLocalizeTarget } from './schema.js';
import { isImageContents, normalizeAnswerText, type DroppedTargets, type ImageContents } from '../image-contents.js';
import { leakSearchText } from '../leak-text.js';
import type { WorkspaceFiles } from '../../workspace/files.js';
import { literalBody, maskedWorkspace } from './workspace.js';

export const FuncLocalizeOptionsSchema = z.object({
  repo: z.string().min(1),
  /** @default 0 */
  seed: z.number().int().default(0),
  /** Most instances per repository. @default 50 */
  n: z.number().int().positive().default(50),
  /** Most targets taken from one file (over all instances). @default 2 */
  perFile: z.number().int().positive().default(2),
  /** Targets per instance: 1, or 2–3 for multi-target instances (from different files where possible). @default 1 */
  targets: z.number().int().min(1).max(3).default(1),
  /** Show the target's name in the prompt (the paper's default). @default true */
  showName: z.boolean().default(true),
  /** Add structural details (parameters, return, in-repo calls, decorators) as in the paper's masked variant. @default false */
  details: z.boolean().default(false),
  /** Include definitions in test files (tests/, test_*.py, *_test.py, conftest.py). @default false */
  includeTests: z.boolean().default(false),
  /** Docstrings with fewer words make poor descriptions and are skipped. @default 3 */
  minDocstringWords: z.number().int().min(0).default(3),
  /** Describe targets with an LLM instead of deriving the text from the docstring. */
  describe: z.custom<DescribeHook>((v) => typeof v === 'function').optional(),
  /** The episode image's contents: a target whose docstring the image holds is dropped (the agent could read it there). */
  imageContents: z.custom<ImageContents>(isImageContents, 'expected an ImageContents ({ name, hasDocstring, hasBody })').optional(),
  /** Loads `imageContents` when there are candidates to check (what make() and the CLI pass). */
  loadImageContents: z.custom<() => Promise<ImageContents>>((v) => typeof v === 'function', 'expected a function').optional(),
  /** Told, after generation, how many targets were dropped and why (once per reason). */
  onDropped: z.custom<(dropped: DroppedTargets) => void>((v) => typeof v === 'function', 'expected a function').optional(),
});
export type FuncLocalizeOptions = z.input<typeof FuncLocalizeOptionsSchema>;


/** Every function, method and class whose docstring can be removed and described. */
export function candidates(index: AnalyzedRepo, o: { includeTests: boolean; minDocstringWords: number }, sources: Map<string, string>): Definition[] {
  return index.definitions.filter((d) => {
    if (!d.docstring || d.qualname.includes('<locals>')) return false;
    if (!o.includeTests && isTestFile(d.file)) return false;
    const file = index.file(d.file);
    if (!file || file.hasErrors || file.encoding !== 'utf-8') return false;
    if (d.docstring.cleaned.split(/\s+/).filter(Boolean).length < o.minDocstringWords) return false;
    const text = sources.get(d.file);
    // A byte-order mark would shift the analysis' offsets against the text read here.
    return text !== undefined && text.charCodeAt(0) !== 0xfeff && maskable(d, text);
  });
}

/** Seeded generation of func-localize instances from a repository. Same inputs, same bytes out. */
export async function generateFuncLocalize(input: FuncLocalizeOptions): Promise<FuncLocalizeInstance[]> {
  const o = parseOptions(FuncLocalizeOptionsSchema, input, 'func-localize generator options');
  const repoPath = resolve(o.repo);
  const index = await indexRepo(repoPath);
  const { files } = await maskedWorkspace(repoPath, []);
  const sources = new Map([...files].filter(([p]) => p.endsWith('.py')).map(([p, b]) => [p, b.toString('utf8')]));
  const inImage: string[] = [];
  const found = candidates(index, o, sources);
  const image = o.imageContents ?? (found.length > 0 && o.loadImageContents ? await o.loadImageContents() : undefined);
  const all = found.filter((d) => {
    if (!image) return true;
    const normalized = normalizeAnswerText(d.docstring!.value);
    if (!image.hasDocstring(normalized)) return true;
    const where = image.docstringLocation?.(normalized);
    inImage.push(`${d.file}:${d.qualname}${where ? ` (${where})` : ''}`);
    return false;
  });
  if (image && inImage.length > 0) {
    o.onDropped?.({ task: 'func-localize', reason: `docstring in image ${image.name}`, count: inImage.length, examples: inImage.slice(0, 5) });
  }
  const pool = shuffled(all, seededRandom(o.seed));
  const leaks = new LeakCheck(files);

  const perFile = new Map<string, number>();
  const used = new Set<string>();
  const instances: FuncLocalizeInstance[] = [];
  for (let i = 0; i < pool.length && instances.length < o.n; i++) {
    const first = pool[i]!;
    if (used.has(first.id) || (perFile.get(first.file) ?? 0) >= o.perFile) continue;
    const group = [first];
    // Further targets come from other files first, then from the same file.
    for (const preferOther of [true, false]) {
      for (let j = i + 1; j < pool.length && group.length < o.targets; j++) {
        const c = pool[j]!;
        const inGroup = group.filter((g) => g.file === c.file).length;
        if (used.has(c.id) || group.includes(c) || (perFile.get(c.file) ?? 0) + inGroup >= o.perFile) continue;
        if (preferOther && group.some((g) => g.file === c.file)) continue;
        if (group.some((g) => overlaps(g, c) || (g.file === c.file && g.qualname === c.qualname))) continue;
        group.push(c);
      }
    }
    if (group.length < o.targets) continue;
    const targets = group.map((d) => toTarget(d, index, o.details, sources));
    const { files: masked } = await maskedWorkspace(repoPath, targets, files);
    if (leaks.leaks(masked, targets)) continue;
    for (const d of group) {
      used.add(d.id);
      perFile.set(d.file, (perFile.get(d.file) ?? 0) + 1);
    }
    const paragraphs = await Promise.all(
      group.map((d, k) =>
        o.describe
          ? o.describe({ target: targets[k]!, docstring: d.docstring!.cleaned, showName: o.showName })
          : describeFromDocstring(targets[k]!, d.docstring!.cleaned, o.showName),
      ),
    );
    instances.push({
      id: instanceId(basename(repoPath), o, targets),
      task: 'func-localize',
      repo: { path: repoPath, name: basename(repoPath) },
      seed: o.seed,
      targets,
      description: paragraphs.length === 1 ? paragraphs[0]! : paragraphs.map((p, k) => `Target ${k + 1}:\n${p}`).join('\n\n'),
      showName: o.showName,
    });
  }
  return instances;
}

function toTarget(d: Definition, index: AnalyzedRepo, withDetails: boolean, sources: Map<string, string>): FuncLocalizeTarget {
  const doc = d.docstring!;
  const target: FuncLocalizeTarget = {
    file: d.file,
    name: d.name,
    qualname: d.qualname,
    occurrence: index.definitionsIn(d.file).filter((x) => x.qualname === d.qualname).indexOf(d),
    kind: d.kind,
    line: d.line,
    endLine: d.endLine,
    docstring: { line: doc.line, endLine: doc.endLine, text: doc.literal },
  };
  if (withDetails) {
    target.details = {
      parameters: d.parameters.map((p) => (p.kind === 'var-positional' ? `*${p.name}` : p.kind === 'var-keyword' ? `**${p.name}` : p.name)),
      returnsValue: /\breturn\s+[^\s#]/.test(sources.get(d.file)?.slice(d.startIndex, d.endIndex) ?? ''),
      calls: [...new Set(index.callees(d).filter((c) => c.id !== d.id).map((c) => c.qualname))].sort(),
      decorators: d.decorators,
    };
  }
  return target;
}

/**
 * Whether a masked workspace still holds a target's docstring anywhere, whitespace aside (a copy
 * indented differently counts). Each unmasked file's collapsed text is computed once per
 * generation; only the files a group masks are collapsed again.
 */
class LeakCheck {
  private readonly collapsed = new Map<string, string>();

  constructor(private readonly original: WorkspaceFiles) {
    for (const [file, content] of original) {
      this.collapsed.set(file, leakSearchText(content));
    }
  }

  leaks(masked: WorkspaceFiles, targets: readonly FuncLocalizeTarget[]): boolean {
    const needles = targets.map((t) => normalizeAnswerText(literalBody(t.docstring.text))).filter((s) => s.length > 0);
    if (needles.length === 0) return false;
    const changed = new Set(targets.map((t) => t.file));
    for (const [file, text] of this.collapsed) {
      if (changed.has(file)) continue;
      if (needles.some((n) => text.includes(n))) return true;
    }
    for (const file of changed) {
      const content = masked.get(file);
      const text = content && leakSearchText(content);
      if (text && needles.some((n) => text.includes(n))) return true;
    }
    // Files the masking added or that differ from the original (none today) are checked too.
    for (const [file, content] of masked) {
      if (changed.has(file) || this.original.get(file) === content) continue;
      const text = leakSearchText(content);
      if (needles.some((n) => text.includes(n))) return true;
    }
    return false;
  }
}

function overlaps(a: Definition, b: Definition): boolean {
  return a.file === b.file && a.line <= b.endLine && b.line <= a.endLine;
}

/** Stable over runs with the same inputs; names the target only when the prompt does (ids reach agents). */
function instanceId(repo: string, o: { seed: number; showName: boolean; details: boolean; targets: number }, targets: FuncLocalizeTarget[]): string {
  const key = JSON.stringify([repo, o.seed, o.showName, o.details, o.targets, targets.map((t) => [t.file, t.qualname, t.occurrence])]);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 10);
  const slug = o.showName ? `${targets[0]!.name.replace(/[^A-Za-z0-9_]/g, '').slice(0, 24)}-` : '';
  return `func-localize-${repo.replace(/[^A-Za-z0-9_.-]/g, '')}-${slug}${hash}`;
}
