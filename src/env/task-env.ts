import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import { ClosedError, EnvOrderError, HybridGymError, InstanceNotFoundError, SandboxError } from '../errors.js';
import { SandboxPool } from '../sandbox/pool.js';
import type { Sandbox } from '../sandbox/types.js';
import type { BaseInstance, TaskDefinition, VerifyResult } from '../tasks/define-task.js';
import { runAction } from '../tools/run-action.js';
import type { Action, Observation, ToolContext } from '../tools/types.js';
import { installWorkspace, readWorkspace } from '../workspace/sandbox-workspace.js';
import { seededRandom } from '../util/seeded-random.js';
import type { Env, EnvEvents, ResetInfo, ResetOptions, StepInfo, StepResult, Truncation } from './types.js';

const log = createDebug('hybrid-gym:env');

export interface TaskEnvSettings {
  /** Observation cap, bash idle return and default bash timeout; see ToolContext. */
  tools?: Pick<ToolContext, 'maxObservationChars' | 'bashIdleSeconds' | 'bashTimeoutSeconds'>;
  /** Close the pool (and its provider) with the env. @default true */
  ownsPool?: boolean;
}

interface Episode<I> {
  instance: I;
  sandbox: Sandbox;
  steps: number;
  startedAt: number;
  editHistory: Map<string, string[]>;
  ended: boolean;
}

/** A task joined with sandboxes: each episode is one instance in a fresh workspace. */
export class TaskEnv<I extends BaseInstance = BaseInstance> extends EventEmitter<EnvEvents> implements Env {
  private episode: Episode<I> | null = null;
  private rng: () => number = seededRandom(Date.now() & 0xffffffff);
  private readonly byId: Map<string, I>;
  private isClosed = false;

  constructor(
    readonly id: string,
    readonly task: TaskDefinition<I>,
    readonly instances: readonly I[],
    readonly pool: SandboxPool,
    private readonly settings: TaskEnvSettings = {},
  ) {
    super();
    if (instances.length === 0) throw new HybridGymError('NO_INSTANCES', `${id}: there are no instances to run`);
    this.byId = new Map(instances.map((i) => [i.id, i]));
  }

  get unwrapped(): Env {
    return this;
  }

  /** The instance of the running episode (for oracles and tests; never shown to the agent). */
  get currentInstance(): I | undefined {
    return this.episode?.instance;
  }

  get workdir(): string | undefined {
    return this.episode?.sandbox.workdir;
  }

  /** The actions that solve the current instance, from the task's oracle. */
  async oracleActions(): Promise<Action[]> {
    const ep = this.requireEpisode();
    return this.task.oracle(ep.instance, { workdir: ep.sandbox.workdir });
  }

  async reset(options: ResetOptions = {}): Promise<{ observation: Observation; info: ResetInfo }> {
    if (this.isClosed) throw new ClosedError(`Env ${this.id}`);
    await this.releaseEpisode();
    if (options.seed !== undefined) this.rng = seededRandom(options.seed);
    const instance = this.pick(options);
    const t0 = performance.now();
    let sandbox: Sandbox;
    try {
      sandbox = await this.pool.acquire();
    } catch (err) {
      this.emit('error', { error: err as Error, phase: 'reset' });
      throw err;
    }
    const t1 = performance.now();
    let incremental = false;
    try {
      const files = await this.task.workspace(instance);
      ({ incremental } = await installWorkspace(sandbox, files));
    } catch (err) {
      // A broken sandbox is dropped; a task's own error (say, a stale instance) leaves it reusable.
      if (err instanceof SandboxError || err instanceof ClosedError) await this.pool.discard(sandbox);
      else await this.pool.release(sandbox);
      this.emit('error', { error: err as Error, phase: 'reset' });
      throw err;
    }
    log('reset %s: acquire %dms, workspace %dms (%s)', instance.id, Math.round(t1 - t0), Math.round(performance.now() - t1), incremental ? 'incremental' : 'full');
    this.episode = { instance, sandbox, steps: 0, startedAt: Date.now(), editHistory: new Map(), ended: false };
    const info: ResetInfo = { envId: this.id, instanceId: instance.id, workdir: sandbox.workdir };
    const observation: Observation = { text: this.task.prompt(instance, { workdir: sandbox.workdir }), isError: false };
    this.emit('reset', { instanceId: instance.id, info });
    return { observation, info };
  }

  private pick(options: ResetOptions): I {
    const wanted = options.options?.instanceId;
    if (wanted !== undefined) {
      const found = this.byId.get(wanted);
      if (!found) throw new InstanceNotFoundError(wanted, this.instances.length);
      return found;
    }
    return this.instances[Math.floor(this.rng() * this.instances.length)]!;
  }

  async step(action: Action): Promise<StepResult> {
    const ep = this.requireEpisode();
    ep.steps++;
    let outcome;
    const started = Date.now();
    try {
      outcome = await runAction(action, {
        sandbox: ep.sandbox,
        editHistory: ep.editHistory,
        ...this.settings.tools,
      });
    } catch (err) {
      return this.announce(ep, action, await this.endForInfra(ep, err as Error));
    }
    const { observation } = outcome;
    // Only commands that reached the shell: a rejected bash action has no exit code.
    if (observation.tool === 'bash' && observation.exitCode !== undefined) {
      this.emit('exec', { command: describeCommand(action), exitCode: observation.exitCode, durationMs: Date.now() - started });
    }
    const result = outcome.finished
      ? await this.finishEpisode(ep, observation, false, undefined, outcome.message)
      : this.pending(ep, observation);
    return this.announce(ep, action, result);
  }

  /** Events in the order a listener expects: the step, then the end of the episode it ended. */
  private announce(ep: Episode<I>, action: Action | undefined, result: StepResult): StepResult {
    if (action) this.emit('step', { action, result });
    if (result.terminated || result.truncated) {
      this.emit('episodeEnd', {
        instanceId: ep.instance.id,
        reward: result.reward,
        steps: ep.steps,
        terminated: result.terminated,
        truncated: result.truncated,
        info: result.info,
      });
    }
    return result;
  }

  async end(reason: Truncation): Promise<StepResult> {
    const ep = this.requireEpisode();
    const observation: Observation = { text: `The episode was ended: ${reason} budget exhausted.`, isError: false };
    return this.announce(ep, undefined, await this.finishEpisode(ep, observation, true, reason));
  }

  private pending(ep: Episode<I>, observation: Observation): StepResult {
    return { observation, reward: 0, terminated: false, truncated: false, info: this.info(ep) };
  }

  private info(ep: Episode<I>): StepInfo {
    return { instanceId: ep.instance.id, step: ep.steps, elapsedMs: Date.now() - ep.startedAt };
  }

  /** Score the final state and close the episode. */
  private async finishEpisode(
    ep: Episode<I>,
    observation: Observation,
    truncated: boolean,
    truncation?: Truncation,
    finishMessage?: string,
  ): Promise<StepResult> {
    let verify: VerifyResult;
    try {
      const files = await readWorkspace(ep.sandbox);
      verify = await this.task.verify(ep.instance, files, { workdir: ep.sandbox.workdir });
    } catch (err) {
      if (err instanceof SandboxError || err instanceof ClosedError) return this.endForInfra(ep, err);
      throw err;
    }
    ep.ended = true;
    const info: StepInfo = { ...this.info(ep), verify };
    if (truncation) info.truncation = truncation;
    if (finishMessage !== undefined) info.finishMessage = finishMessage;
    return { observation, reward: verify.reward, terminated: !truncated, truncated, info };
  }

  /** The container or engine failed: end as truncated with `infraError`, never as a plain zero. */
  private async endForInfra(ep: Episode<I>, error: Error): Promise<StepResult> {
    if (!(error instanceof SandboxError || error instanceof ClosedError)) throw error;
    log('infrastructure failure in %s: %s', ep.instance.id, error.message);
    ep.ended = true;
    this.emit('error', { error, phase: 'step' });
    const info: StepInfo = {
      ...this.info(ep),
      truncation: 'infra',
      infraError: { code: (error as HybridGymError).code, message: error.message },
    };
    const result: StepResult = {
      observation: { text: `The sandbox failed: ${error.message}`, isError: true },
      reward: 0,
      terminated: false,
      truncated: true,
      info,
    };
    // A broken sandbox is not reused.
    this.episode = null;
    await this.pool.discard(ep.sandbox).catch(() => {});
    return result;
  }

  private requireEpisode(): Episode<I> {
    if (this.isClosed) throw new ClosedError(`Env ${this.id}`);
    if (!this.episode) throw new EnvOrderError(`${this.id}: call reset() before step()`);
    if (this.episode.ended) throw new EnvOrderError(`${this.id}: the episode has ended; call reset() to start another`);
    return this.episode;
  }

  private async releaseEpisode(): Promise<void> {
    const ep = this.episode;
    this.episode = null;
    // The wipe runs while the next episode starts on another warm sandbox.
    if (ep) void this.pool.release(ep.sandbox).catch(() => {});
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    const ep = this.episode;
    this.episode = null;
    if (this.settings.ownsPool ?? true) {
      await this.pool.close();
      await this.pool.provider.close();
    } else if (ep) {
      await this.pool.release(ep.sandbox);
    }
    this.removeAllListeners();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function describeCommand(action: Action): string {
  const input = action.input as { command?: unknown } | undefined;
  return typeof input?.command === 'string' ? input.command : '';
}
