import { SandboxError } from '../errors.js';
import type { Sandbox, SandboxProvider } from './types.js';

/** What every provider does alike: track its live sandboxes, refuse work once closed, close them all. */
export abstract class BaseProvider<S extends Sandbox> implements SandboxProvider {
  abstract readonly name: string;
  private readonly live = new Set<S>();
  protected isClosed = false;

  abstract create(options?: { workdir?: string }): Promise<S>;

  protected assertOpen(): void {
    if (this.isClosed) throw new SandboxError(`The ${this.name} provider is closed`);
  }

  /** Count a sandbox as live; it calls `untrack` when it closes. */
  protected track(sandbox: S): void {
    this.live.add(sandbox);
  }

  protected readonly untrack = (sandbox: S): void => {
    this.live.delete(sandbox);
  };

  /** Sandboxes made by this provider and not yet closed. */
  get size(): number {
    return this.live.size;
  }

  async close(): Promise<void> {
    this.isClosed = true;
    await Promise.all([...this.live].map((s) => s.close()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
