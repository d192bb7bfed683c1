import createDebug from 'debug';
import { ClosedError, SandboxError } from '../errors.js';
import type { Sandbox, SandboxProvider } from './types.js';

const log = createDebug('hybrid-gym:pool');
const RETRY_AFTER_FAILURE_MS = 5_000;

export interface SandboxPoolOptions {
  /** Fresh sandboxes kept started and waiting for the next acquire. @default 1 */
  warm?: number;
  /** Most sandboxes out, waiting and starting together; acquire waits beyond it. @default Infinity */
  max?: number;
  /** How long acquire() may wait for a sandbox before it fails with a SandboxError. @default 120000 */
  acquireTimeoutMs?: number;
}

interface Waiter {
  resolve: (s: Sandbox) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

/**
 * Fresh sandboxes, started ahead. Every sandbox serves one user and is closed when released:
 * nothing anyone did in it (files anywhere, processes, shell state) can reach the next user.
 * Starting ahead (`warm`) is what keeps a reset from paying for a container start.
 */
export class SandboxPool implements AsyncDisposable {
  private readonly idle: Sandbox[] = [];
  private readonly out = new Set<Sandbox>();
  private readonly waiting: Waiter[] = [];
  private readonly closing = new Set<Promise<void>>();
  private readonly startingNow = new Set<Promise<void>>();
  private starting = 0;
  private failedAt = 0;
  private isClosed = false;
  readonly warm: number;
  readonly max: number;
  private readonly acquireTimeoutMs: number;

  constructor(
    readonly provider: SandboxProvider,
    options: SandboxPoolOptions = {},
  ) {
    this.warm = options.warm ?? 1;
    this.max = options.max ?? Number.POSITIVE_INFINITY;
    this.acquireTimeoutMs = options.acquireTimeoutMs ?? 120_000;
  }

  /** Start `warm` sandboxes now and resolve when they are ready. */
  async fill(): Promise<void> {
    const need = Math.max(0, this.warm - this.idle.length - this.starting);
    // Those already starting count as warm once they are ready: wait for them too.
    await Promise.all([...this.startingNow, ...Array.from({ length: need }, () => this.startOne())]);
  }

  /** Sandboxes that exist or are being made: idle, out and starting. */
  get total(): number {
    return this.idle.length + this.out.size + this.starting;
  }

  private startOne(): Promise<void> {
    const p = this.startOneNow();
    this.startingNow.add(p);
    void p.finally(() => this.startingNow.delete(p));
    return p;
  }

  private async startOneNow(): Promise<void> {
    this.starting++;
    let s: Sandbox;
    try {
      s = await this.provider.create();
    } catch (err) {
      log('could not start a sandbox: %O', err);
      this.failedAt = Date.now();
      // Someone may be waiting for exactly this sandbox: tell them instead of leaving them hanging.
      const w = this.waiting.shift();
      if (w) {
        clearTimeout(w.timer);
        w.reject(err);
      }
      return;
    } finally {
      this.starting--;
    }
    // Closed meanwhile: close it before close() stops waiting for this start.
    if (this.isClosed) await s.close().catch(() => {});
    else this.put(s);
  }

  private put(s: Sandbox): void {
    if (this.isClosed) {
      void s.close();
      return;
    }
    const w = this.waiting.shift();
    if (w) {
      clearTimeout(w.timer);
      this.out.add(s);
      w.resolve(s);
    } else {
      this.idle.push(s);
    }
  }

  /**
   * A fresh sandbox: a started one when there is one, else one started now (or the next to be
   * ready). One of another `image` than the provider's, or one whose container never served
   * `unserved` (see Sandbox.servedBefore), is made for the caller (not kept warm).
   */
  async acquire(options: { image?: string; unserved?: string } = {}): Promise<Sandbox> {
    if (this.isClosed) throw new ClosedError('Sandbox pool');
    if (options.image !== undefined || options.unserved !== undefined) {
      const own = await this.provider.create({ ...options });
      if (this.isClosed) {
        await own.close();
        throw new ClosedError('Sandbox pool');
      }
      this.out.add(own);
      return own;
    }
    const s = this.idle.shift();
    if (s) {
      this.out.add(s);
      this.refill();
      return s;
    }
    return new Promise<Sandbox>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new SandboxError(`No sandbox was ready within ${Math.round(this.acquireTimeoutMs / 1000)} s (${this.describe()})`));
      }, this.acquireTimeoutMs);
      const waiter: Waiter = { resolve, reject, timer };
      this.waiting.push(waiter);
      this.refill();
    });
  }

  private describe(): string {
    return `${this.out.size} out, ${this.starting} starting, max ${this.max}`;
  }

  private refill(): void {
    if (this.isClosed) return;
    // Start one for each caller waiting beyond those already starting, then top up to `warm`
    // (not right after a failure: an engine that is down would be asked again and again).
    const topUp = Date.now() - this.failedAt > RETRY_AFTER_FAILURE_MS ? Math.max(0, this.warm - this.idle.length) : 0;
    while (this.starting < this.waiting.length + topUp && this.total < this.max) {
      void this.startOne().then(() => this.refill());
    }
  }

  /** Give a sandbox back: it is closed (its container removed, or reset by a reusing provider), and another is started in its place. */
  release(s: Sandbox): Promise<void> {
    if (!this.out.delete(s)) return Promise.resolve();
    const closing = s.close().catch((err) => log('close of %s failed: %O', s.id, err));
    this.closing.add(closing);
    void closing.finally(() => this.closing.delete(closing));
    this.refill();
    return closing;
  }

  /** Same as release: kept for callers that drop a sandbox they know to be broken. */
  discard(s: Sandbox): Promise<void> {
    return this.release(s);
  }

  get stats(): { idle: number; out: number; starting: number } {
    return { idle: this.idle.length, out: this.out.size, starting: this.starting };
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new ClosedError('Sandbox pool'));
    }
    const all = [...this.idle, ...this.out];
    this.idle.length = 0;
    this.out.clear();
    // Sandboxes still starting are closed as they arrive (put() sees the pool closed): wait for them too.
    await Promise.all([...all.map((s) => s.close().catch(() => {})), ...this.closing, ...this.startingNow]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
