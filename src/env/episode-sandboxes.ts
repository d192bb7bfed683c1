import createDebug from 'debug';
import type { SandboxPool } from '../sandbox/pool.js';
import type { Sandbox } from '../sandbox/types.js';
import type { BaseInstance } from '../tasks/define-task.js';
import type { WorkspaceFiles } from '../workspace/files.js';
import { installWorkspace } from '../workspace/sandbox-workspace.js';

const log = createDebug('hybrid-gym:env');

interface Prepared<I> {
  /** The instance whose workspace it holds; undefined for a blank sandbox. */
  instance: I | undefined;
  /** The instance's own image, when it names one (else the provider's). */
  image: string | undefined;
  sandbox: Promise<Sandbox>;
}

/** How the sandbox of an episode came to be. */
export interface Taken {
  sandbox: Sandbox;
  /** It was prepared ahead for this very instance: the reset only handed it over. */
  handedOver: boolean;
}

/**
 * The sandboxes of one env's episodes. Each episode gets a fresh sandbox that no agent has touched;
 * the next one is prepared while the current episode runs (started, and its workspace installed
 * when the next instance is known), so that a reset is a hand-over. A prepared sandbox for another
 * instance is still pristine, so its workspace is replaced (every file written anew) and its shell restarted.
 */
export class EpisodeSandboxes<I extends BaseInstance> {
  private next: Prepared<I> | null = null;

  constructor(
    private readonly pool: SandboxPool,
    private readonly files: (instance: I) => Promise<WorkspaceFiles> | WorkspaceFiles,
  ) {}

  /** Start preparing the next episode's sandbox, for `instance` or blank when it is not known. */
  prepare(instance: I | undefined): void {
    const image = instance?.image;
    // A sandbox of another image cannot serve: drop it.
    if (this.next && this.next.image !== image) void this.close();
    if (this.next) {
      if (this.next.instance?.id === instance?.id) return;
      // A different guess: keep the sandbox (it is pristine, of the same image) but give it the new workspace.
      const previous = this.next.sandbox;
      this.next = { instance, image: this.next.image, sandbox: previous.then((s) => this.install(s, instance)) };
    } else {
      const t0 = performance.now();
      this.next = {
        instance,
        image,
        sandbox: this.acquire(image).then((s) => {
          log('acquired a sandbox in %dms', Math.round(performance.now() - t0));
          return this.install(s, instance);
        }),
      };
    }
    this.next.sandbox.catch((err) => log('preparing the next sandbox failed: %s', (err as Error).message));
  }

  private async install(sandbox: Sandbox, instance: I | undefined): Promise<Sandbox> {
    if (!instance) return sandbox;
    try {
      const t0 = performance.now();
      const files = await this.files(instance);
      const t1 = performance.now();
      const { replaced } = await installWorkspace(sandbox, files);
      log('installed %s: files %dms, install %dms', instance.id, Math.round(t1 - t0), Math.round(performance.now() - t1));
      // The shell the agent gets has carried the earlier workspace (its unmasked answer among it)
      // through its memory: hand over a new shell process instead.
      if (replaced) await sandbox.restartShell();
      return sandbox;
    } catch (err) {
      void this.pool.release(sandbox);
      throw err;
    }
  }

  /** The instance the prepared sandbox holds, if any. */
  get preparedFor(): string | undefined {
    return this.next?.instance?.id;
  }

  /** Resolves when the prepared sandbox is ready: true, or false when there is none or it failed. */
  async ready(): Promise<boolean> {
    if (!this.next) return false;
    return this.next.sandbox.then(
      () => true,
      () => false,
    );
  }

  private acquire(image: string | undefined): Promise<Sandbox> {
    return this.pool.acquire(image === undefined ? {} : { image });
  }

  /** A fresh sandbox holding `instance`'s workspace: the prepared one, else one from the pool. */
  async take(instance: I): Promise<Taken> {
    const prepared = this.next;
    this.next = null;
    let sandbox: Sandbox | undefined;
    if (prepared) {
      try {
        sandbox = await prepared.sandbox;
      } catch {
        // Logged in prepare(); a fresh attempt below says what is wrong, if anything still is.
      }
      if (sandbox && prepared.instance?.id === instance.id && !sandbox.servedBefore?.(instance.id)) return { sandbox, handedOver: true };
      if (sandbox && (prepared.image !== instance.image || prepared.instance?.id === instance.id)) {
        void this.pool.release(sandbox);
        sandbox = undefined;
      }
    }
    sandbox ??= await this.acquire(instance.image);
    if (sandbox.servedBefore?.(instance.id)) {
      // A reused container that served this instance before: counters that outlive its reset could
      // carry what an earlier episode found to this one. One that never served it takes its place.
      void this.pool.release(sandbox);
      sandbox = await this.pool.acquire({ ...(instance.image !== undefined && { image: instance.image }), unserved: instance.id });
      sandbox.servedBefore?.(instance.id);
    }
    return { sandbox: await this.install(sandbox, instance), handedOver: false };
  }

  /** Close a used sandbox (its container removed, or reset and shown clean by a reusing provider). */
  release(sandbox: Sandbox): Promise<void> {
    return this.pool.release(sandbox);
  }

  /** Drop the prepared sandbox. */
  async close(): Promise<void> {
    const prepared = this.next;
    this.next = null;
    const s = await prepared?.sandbox.catch(() => undefined);
    if (s) await this.pool.release(s);
  }
}
