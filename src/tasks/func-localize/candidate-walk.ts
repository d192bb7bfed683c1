import { createHash } from 'node:crypto';
import type { Candidate } from './candidate-cache.js';

/** Candidate `k` (in file order) of `file`, placed in the seeded order by `key`. */
interface Slot {
  key: number;
  file: string;
  k: number;
}

/** Finds the candidates of files (indexing them, or from a cache): every file asked for gets an entry. */
export type LoadCandidates = (files: string[]) => Promise<ReadonlyMap<string, readonly Candidate[]>>;

/**
 * The candidates of a repository in a seeded order, indexing only the files the order reaches.
 *
 * Each candidate gets a place by a hash of (seed, file, its position among its file's candidates),
 * so the order is a seeded shuffle of all candidates that does not need them all known: a file
 * gets as many places as it seems to have candidates ({@link estimateCandidates}), and is indexed
 * when the walk first reaches one of them (with the files of the places after it, in one batch
 * for the worker threads). A place beyond a file's real candidates is empty; a file with more than
 * it seemed gets its further places among those not yet walked; files that seemed to have none are
 * indexed only when the walk runs out. The same seed and repository give the same order, however
 * the candidates were found (indexed or cached).
 */
export class CandidateWalk {
  private readonly order: Slot[];
  private readonly known = new Map<string, readonly Candidate[]>();
  /** The furthest place read so far: new places go after it. */
  private frontier = -1;
  private batchSize: number;
  private exhausted = false;

  /** `estimates`: each file's estimated candidate count; `firstBatch`: places the first indexing covers. */
  constructor(
    private readonly estimates: ReadonlyMap<string, number>,
    private readonly seed: number,
    private readonly load: LoadCandidates,
    firstBatch: number,
  ) {
    this.order = [];
    for (const [file, n] of estimates) for (let k = 0; k < n; k++) this.order.push(this.slot(file, k));
    this.order.sort(bySlot);
    this.batchSize = Math.max(1, firstBatch);
  }

  /** The candidate at place `i`: null for an empty place, undefined past the last place. */
  async at(i: number): Promise<Candidate | null | undefined> {
    if (i >= this.order.length && !this.exhausted) await this.loadRest();
    const slot = this.order[i];
    if (!slot) return undefined;
    if (!this.known.has(slot.file)) await this.loadFrom(i);
    this.frontier = Math.max(this.frontier, i);
    return this.known.get(slot.file)![slot.k] ?? null;
  }

  /** How many files have been looked at (indexed or from a cache). */
  get filesLoaded(): number {
    return this.known.size;
  }

  /** Every file's candidates found so far. */
  get loaded(): ReadonlyMap<string, readonly Candidate[]> {
    return this.known;
  }

  private slot(file: string, k: number): Slot {
    const h = createHash('sha256').update(`${this.seed}\0${file}\0${k}`).digest();
    return { key: h.readUIntBE(0, 6), file, k };
  }

  /** Loads the files of the places from `i` on, a batch of places at a time (twice as many each time). */
  private async loadFrom(i: number): Promise<void> {
    const files = new Set<string>();
    for (let j = i; j < this.order.length && j < i + this.batchSize; j++) {
      const f = this.order[j]!.file;
      if (!this.known.has(f)) files.add(f);
    }
    this.batchSize *= 2;
    await this.take([...files].sort(), Math.max(this.frontier, i));
  }

  /** At the end of the order: the files that seemed to have no candidate. */
  private async loadRest(): Promise<void> {
    this.exhausted = true;
    const rest = [...this.estimates.keys()].filter((f) => !this.known.has(f) && this.estimates.get(f) === 0);
    if (rest.length > 0) await this.take(rest.sort(), this.order.length - 1);
  }

  /** Records the files' candidates; places for candidates beyond a file's estimate go after place `after`. */
  private async take(files: string[], after: number): Promise<void> {
    const found = await this.load(files);
    const extra: Slot[] = [];
    for (const f of files) {
      const c = found.get(f) ?? [];
      this.known.set(f, c);
      for (let k = this.estimates.get(f) ?? 0; k < c.length; k++) extra.push(this.slot(f, k));
    }
    extra.sort(bySlot);
    let lo = after + 1;
    for (const s of extra) {
      // The places after `after` stay sorted: each new one goes where its key falls among them.
      let hi = this.order.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (bySlot(this.order[mid]!, s) < 0) lo = mid + 1;
        else hi = mid;
      }
      this.order.splice(lo, 0, s);
      lo++;
    }
  }
}

function bySlot(a: Slot, b: Slot): number {
  return a.key - b.key || (a.file < b.file ? -1 : a.file > b.file ? 1 : a.k - b.k);
}
