import type { WorkspaceFiles } from '../../workspace/files.js';
import { cacheFile, contentHash, readCached, writeCached } from '../../util/disk-cache.js';
import { normalizeAnswerText } from '../image-contents.js';
import { leakSearchText } from '../leak-text.js';
import type { FuncLocalizeTarget } from './schema.js';
import { literalBody } from './workspace.js';

const FORMAT = 1;

interface Verdicts {
  format: number;
  /** Hash of every workspace file's path and content: the verdicts hold for this state only. */
  state: string;
  /** Needle hash -> the files whose searchable text holds the needle. */
  found: Map<string, string[]>;
}

/**
 * Whether a target's docstring is still anywhere once its files are masked, whitespace aside (a
 * copy indented differently counts). Every file's searchable text (leakSearchText) is joined into
 * one corpus, built on the first search; each docstring is searched once, and which files hold it
 * is cached for the repository's state (all paths and contents), so that a second generation from
 * the same repository searches only docstrings it has not seen. Only the files a group masks are
 * searched again, masked.
 */
export class LeakCheck {
  private corpus: Buffer | null = null;
  /** Byte offset of each file's text in the corpus, ascending, and the files in that order. */
  private readonly starts: number[] = [];
  private readonly order: string[] = [];
  private changed = false;

  private constructor(
    private readonly files: WorkspaceFiles,
    private readonly verdicts: Verdicts,
    private readonly file: string | null,
  ) {}

  static async open(files: WorkspaceFiles, cacheDir: string | null, root: string): Promise<LeakCheck> {
    const state = contentHash(Buffer.concat([...files].flatMap(([p, b]) => [Buffer.from(`${p}\0${b.length}\0`), Buffer.from(contentHash(b))])));
    const fresh: Verdicts = { format: FORMAT, state, found: new Map() };
    if (!cacheDir) return new LeakCheck(files, fresh, null);
    const file = cacheFile(cacheDir, 'leaks', root);
    const cached = (await readCached(file)) as Verdicts | undefined;
    const usable = cached?.format === FORMAT && cached.state === state && cached.found instanceof Map;
    return new LeakCheck(files, usable ? cached : fresh, file);
  }

  /** `masked`: the files the group masks, masked (their originals are not searched). */
  leaks(masked: WorkspaceFiles, targets: readonly FuncLocalizeTarget[]): boolean {
    const needles = targets.map((t) => normalizeAnswerText(literalBody(t.docstring.text))).filter((s) => s.length > 0 && !s.includes('\0'));
    if (needles.length === 0) return false;
    for (const n of needles) if (this.holders(n).some((f) => !masked.has(f))) return true;
    for (const content of masked.values()) {
      const text = leakSearchText(content);
      if (needles.some((n) => text.includes(n))) return true;
    }
    return false;
  }

  async save(): Promise<void> {
    if (this.file && this.changed) await writeCached(this.file, this.verdicts);
  }

  /** The files whose original text holds the needle. */
  private holders(needle: string): string[] {
    const key = contentHash(needle);
    let found = this.verdicts.found.get(key);
    if (found) return found;
    found = [];
    const corpus = this.buildCorpus();
    const n = Buffer.from(needle, 'utf8');
    for (let i = corpus.indexOf(n); i >= 0; ) {
      const k = this.fileIndexAt(i);
      found.push(this.order[k]!);
      // On to the next file: one hit per file is enough.
      const next = this.starts[k + 1];
      if (next === undefined) break;
      i = corpus.indexOf(n, next);
    }
    this.verdicts.found.set(key, found);
    this.changed = true;
    return found;
  }

  private buildCorpus(): Buffer {
    if (this.corpus) return this.corpus;
    // Sized first, then written in place: one copy of the corpus in memory, not two.
    const texts = new Map<string, string>();
    let size = 0;
    for (const [file, content] of this.files) {
      const text = leakSearchText(content);
      texts.set(file, text);
      size += Buffer.byteLength(text, 'utf8') + 1;
    }
    const corpus = Buffer.alloc(size);
    let at = 0;
    for (const [file, text] of texts) {
      this.starts.push(at);
      this.order.push(file);
      at += corpus.write(text, at, 'utf8');
      // A NUL after each file: no needle holds one, so no match spans two files.
      corpus[at++] = 0;
    }
    return (this.corpus = corpus);
  }

  private fileIndexAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
