import createDebug from 'debug';
import { ClosedError } from '../errors.js';
import type { Sandbox, SandboxProvider } from './types.js';

const log = createDebug('hybrid-gym:pool');

export interface SandboxPoolOptions {
  /** Ready sandboxes kept waiting for the next acquire. @default 1 */
  warm?: number;
  /** Most sandboxes out and waiting together; acquire waits beyond it. @default Infinity */
  max?: number;
  /**
   * Returned sandboxes keep their workdir (processes, temp dirs and the shell are still reset), for
   * users that reinstall the workspace on every acquire and can reuse what is there, like TaskEnv.
   * @default false
   */
  keepWorkdir?: boolean;
}

/**
 * Warm sandboxes handed out and taken back. A returned sandbox is wiped (every process of the
 * previous user killed, workspace and temp dirs emptied, a fresh shell) before anyone gets it again,
 * so an environment reset does not pay for a container start.
 */
export class SandboxPool implements AsyncDisposable {
  private readonly idle: Sandbox[] = [];
  private readonly out = new Set<Sandbox>();
  private readonly waiting: Array<{ resolve: (s: Sandbox) => void; reject: (e: unknown) => void }> = [];
  private pending = 0;
  private isClosed = false;
  private readonly warm: number;
  private readonly max: number;
  private readonly keepWorkdir: boolean;

  constructor(
    readonly provider: SandboxProvider,
    options: SandboxPoolOptions = {},
  ) {
    this.warm = options.warm ?? 1;
    this.max = options.max ?? Number.POSITIVE_INFINITY;
    this.keepWorkdir = options.keepWorkdir ?? false;
  }

  /** Start `warm` sandboxes now and resolve when they are ready. */
  async fill(): Promise<void> {
    const need = Math.max(0, this.warm - this.idle.length - this.pending);
    await Promise.all(Array.from({ length: need }, () => this.addOne()));
  }

  private get total(): number {
    return this.idle.length + this.out.size + this.pending;
  }

  private async addOne(): Promise<void> {
    this.pending++;
    try {
      const s = await this.provider.create();
      this.pending--;
      this.put(s);
    } catch (err) {
      this.pending--;
      log('could not start a warm sandbox: %O', err);
      // Someone may be waiting for exactly this sandbox: tell them instead of leaving them hanging.
      this.waiting.shift()?.reject(err);
    }
  }

  private put(s: Sandbox): void {
    if (this.isClosed) {
      void s.close();
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) {
      this.out.add(s);
      waiter.resolve(s);
    } else {
      this.idle.push(s);
    }
  }

  /** A ready sandbox: a warm one when there is one, else a new one. */
  async acquire(): Promise<Sandbox> {
    if (this.isClosed) throw new ClosedError('Sandbox pool');
    const s = this.idle.shift();
    if (s) {
      this.out.add(s);
      this.refill();
      return s;
    }
    // A sandbox being started or wiped arrives sooner than a new one; beyond `max`, wait anyway.
    if (this.pending > this.waiting.length || this.total >= this.max) {
      return new Promise<Sandbox>((resolve, reject) => this.waiting.push({ resolve, reject }));
    }
    this.pending++;
    try {
      const fresh = await this.provider.create();
      this.out.add(fresh);
      return fresh;
    } finally {
      this.pending--;
      this.refill();
    }
  }

  private refill(): void {
    if (this.isClosed) return;
    // Top up to `warm`, and start one for a caller who waits while there is room under `max`.
    const wanted = Math.max(this.warm, this.waiting.length);
    if (this.idle.length + this.pending < wanted && this.total < this.max) void this.addOne();
  }

  /** Take a sandbox back: it is wiped in the background and reused, or closed if that fails. */
  async release(s: Sandbox): Promise<void> {
    if (!this.out.delete(s)) return;
    if (this.isClosed || s.closed) {
      await s.close();
      this.refill();
      return;
    }
    this.pending++;
    try {
      await s.wipe({ keepWorkdir: this.keepWorkdir });
      this.pending--;
      this.put(s);
    } catch (err) {
      this.pending--;
      log('wipe failed, closing %s: %O', s.id, err);
      await s.close();
      this.refill();
    }
  }

  /** Drop a broken sandbox instead of reusing it. */
  async discard(s: Sandbox): Promise<void> {
    this.out.delete(s);
    await s.close();
    this.refill();
  }

  get stats(): { idle: number; out: number; pending: number } {
    return { idle: this.idle.length, out: this.out.size, pending: this.pending };
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    const all = [...this.idle, ...this.out];
    this.idle.length = 0;
    this.out.clear();
    await Promise.all(all.map((s) => s.close()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
