import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import { CheckSandboxError, ClosedError, EnvOrderError, HybridGymError, InstanceNotFoundError, SandboxError, WorkspaceError } from '../errors.js';
import { SandboxPool } from '../sandbox/pool.js';
import type { Sandbox } from '../sandbox/types.js';
import type { CodeRunner } from '../tasks/code-check.js';
import type { BaseInstance, TaskDefinition, VerifyContext, VerifyResult } from '../tasks/define-task.js';
import type { WorkspaceFiles } from '../workspace/files.js';
import { SandboxCodeRunner } from './code-runner.js';
import { checkRunFor } from './check-context.js';
import { runAction } from '../tools/run-action.js';
import type { Action, Observation, ToolContext } from '../tools/types.js';
import { checkGrowth, readWorkspace, type ReadLimits } from '../workspace/sandbox-workspace.js';
import { EpisodeSandboxes, type Taken } from './episode-sandboxes.js';
import { seededRandom } from '../util/seeded-random.js';
import type { Env, EnvEvents, ResetInfo, ResetOptions, StepInfo, StepResult, Truncation } from './types.js';

const log = createDebug('hybrid-gym:env');

export interface TaskEnvSettings {
  /** Observation cap, bash idle return and default bash timeout; see ToolContext. */
  tools?: Pick<ToolContext, 'maxObservationChars' | 'bashIdleSeconds' | 'bashTimeoutSeconds'>;
  /** Close the pool (and its provider) with the env. @default true */
  ownsPool?: boolean;
  /**
   * Prepare the next episode's sandbox while an episode runs, so a reset is a hand-over. Costs one
   * more container per env. @default true
   */
  prepareNext?: boolean;
  /** Limits on reading the final workspace. @default DEFAULT_READ_LIMITS */
  readLimits?: ReadLimits;
  /** Runs the task's code checks. @default a SandboxCodeRunner on the pool's provider */
  checkRunner?: CodeRunner;
}

interface Episode<I> {
  instance: I;
  sandbox: Sandbox;
  steps: number;
  startedAt: number;
  editHistory: Map<string, string[]>;
  ended: boolean;
  /** The workspace the agent was given (the host's pristine copy), made when first needed. */
  given?: Promise<WorkspaceFiles>;
  /** Scoring after the sandbox failed: a second failure while scoring ends it as infrastructure. */
  scoringAfterFailure?: boolean;
}

/**
 * A task joined with sandboxes: each episode is one instance in a fresh sandbox of its own, closed
 * when the episode is over. Calls do not overlap: a second call while one runs is an EnvOrderError,
 * except close(), which cancels the running call (it rejects with ClosedError).
 */
export class TaskEnv<I extends BaseInstance = BaseInstance> extends EventEmitter<EnvEvents> implements Env {
  private episode: Episode<I> | null = null;
  private rng: () => number = seededRandom(Date.now() & 0xffffffff);
  /** The rng's next pick, drawn early so the next episode can be prepared. */
  private queued: I | undefined;
  /** The instance the program said comes next (prepareNext). */
  private hint: I | undefined;
  private readonly byId: Map<string, I>;
  private readonly sandboxes: EpisodeSandboxes<I>;
  private inFlight: string | null = null;
  private isClosed = false;
  private runner: CodeRunner | undefined;

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
    this.sandboxes = new EpisodeSandboxes(pool, (i) => task.workspace(i));
    // The first reset finds a started sandbox.
    if (settings.prepareNext ?? true) this.sandboxes.prepare(undefined);
  }

  get unwrapped(): this {
    return this;
  }

  /** The instance of the running episode (for oracles and tests; never shown to the agent). */
  get currentInstance(): I | undefined {
    return this.episode?.instance;
  }

  /** The sandbox of the running episode (for tests and tooling; never shown to the agent). */
  get sandbox(): Sandbox | undefined {
    return this.episode?.sandbox;
  }

  get workdir(): string | undefined {
    return this.episode?.sandbox.workdir;
  }

  /** The actions that solve the current instance, from the task's oracle. */
  async oracleActions(): Promise<Action[]> {
    const ep = this.requireEpisode();
    return this.task.oracle(ep.instance, { workdir: ep.sandbox.workdir });
  }

  /**
   * Say which instance the next reset will ask for (by `options.instanceId`), so its sandbox is
   * prepared while the current episode runs. Rollouts call this; seeded resets need not.
   */
  prepareNext(instanceId: string): void {
    const found = this.byId.get(instanceId);
    if (!found) throw new InstanceNotFoundError(instanceId, this.instances.length);
    this.hint = found;
    if (this.settings.prepareNext ?? true) this.sandboxes.prepare(found);
  }

  /**
   * Resolves when the next episode's sandbox is prepared (true), or false when none is being
   * prepared or preparing it failed (the next reset then starts one itself).
   */
  nextPrepared(): Promise<boolean> {
    return this.sandboxes.ready();
  }

  /** The instance whose sandbox is being prepared for the next reset, if the env knows one. */
  get preparedFor(): string | undefined {
    return this.sandboxes.preparedFor;
  }

  /** Mark a call as running; a second one at the same time is a program error. */
  private enter(call: string): void {
    if (this.isClosed) throw new ClosedError(`Env ${this.id}`);
    if (this.inFlight) {
      throw new EnvOrderError(`${this.id}: ${call}() was called while ${this.inFlight}() is still running; await each call before the next`);
    }
    this.inFlight = call;
  }

  async reset(options: ResetOptions = {}): Promise<{ observation: Observation; info: ResetInfo }> {
    this.enter('reset');
    try {
      return await this.doReset(options);
    } finally {
      this.inFlight = null;
    }
  }

  private async doReset(options: ResetOptions): Promise<{ observation: Observation; info: ResetInfo }> {
    this.releaseEpisode();
    const instance = this.pick(options);
    const t0 = performance.now();
    let taken: Taken;
    try {
      taken = await this.sandboxes.take(instance);
    } catch (err) {
      this.emit('error', { error: err as Error, phase: 'reset' });
      if (this.isClosed) throw new ClosedError(`Env ${this.id}`);
      throw err;
    }
    if (this.isClosed) {
      await this.sandboxes.release(taken.sandbox);
      throw new ClosedError(`Env ${this.id}`);
    }
    const { sandbox } = taken;
    let prompt: string;
    try {
      prompt = await this.task.prompt(instance, { workdir: sandbox.workdir });
    } catch (err) {
      await this.sandboxes.release(sandbox);
      throw err;
    }
    log('reset %s: %dms (%s)', instance.id, Math.round(performance.now() - t0), taken.handedOver ? 'prepared ahead' : 'installed now');
    this.episode = { instance, sandbox, steps: 0, startedAt: Date.now(), editHistory: new Map(), ended: false };
    const info: ResetInfo = { envId: this.id, instanceId: instance.id, workdir: sandbox.workdir, preparedAhead: taken.handedOver };
    const observation: Observation = { text: prompt, isError: false };
    // Listeners may name the next instance (prepareNext) before the env guesses it.
    this.emit('reset', { instanceId: instance.id, info });
    if (this.settings.prepareNext ?? true) this.sandboxes.prepare(this.predictNext());
    return { observation, info };
  }

  private draw(): I {
    return this.instances[Math.floor(this.rng() * this.instances.length)]!;
  }

  private pick(options: ResetOptions): I {
    const wanted = options.options?.instanceId;
    if (wanted !== undefined) {
      const found = this.byId.get(wanted);
      if (!found) throw new InstanceNotFoundError(wanted, this.instances.length);
      if (this.hint?.id === wanted) this.hint = undefined;
      return found;
    }
    if (options.seed !== undefined) {
      this.rng = seededRandom(options.seed);
      this.queued = undefined;
    }
    const picked = this.queued ?? this.draw();
    this.queued = undefined;
    return picked;
  }

  /** The instance the next reset most likely asks for: the program's hint, else the rng's next pick. */
  private predictNext(): I {
    return this.hint ?? (this.queued ??= this.draw());
  }

  async step(action: Action): Promise<StepResult> {
    const ep = this.requireEpisode();
    this.enter('step');
    try {
      return await this.doStep(ep, action);
    } finally {
      this.inFlight = null;
    }
  }

  private async doStep(ep: Episode<I>, action: Action): Promise<StepResult> {
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
      if (this.isClosed) throw new ClosedError(`Env ${this.id}`);
      return this.announce(ep, action, await this.endForFailure(ep, err as Error));
    }
    // close() cancelled this step: what the command gave back is not an observation of the episode.
    if (this.isClosed) throw new ClosedError(`Env ${this.id}`);
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
    this.enter('end');
    try {
      const why = reason === 'agent' ? 'the agent could not give an action' : `${reason} budget exhausted`;
      const observation: Observation = { text: `The episode was ended: ${why}.`, isError: false };
      return this.announce(ep, undefined, await this.finishEpisode(ep, observation, true, reason));
    } finally {
      this.inFlight = null;
    }
  }

  private pending(ep: Episode<I>, observation: Observation): StepResult {
    return { observation, reward: 0, terminated: false, truncated: false, info: this.info(ep) };
  }

  private info(ep: Episode<I>): StepInfo {
    return { instanceId: ep.instance.id, step: ep.steps, elapsedMs: Date.now() - ep.startedAt };
  }

  /** Score the final state and close the episode. What the agent left unreadable scores 0 with the reason. */
  private async finishEpisode(
    ep: Episode<I>,
    observation: Observation,
    truncated: boolean,
    truncation?: Truncation,
    finishMessage?: string,
  ): Promise<StepResult> {
    let verify: VerifyResult;
    const started = performance.now();
    let verifyMs: number | undefined;
    try {
      const files = await readWorkspace(ep.sandbox, this.settings.readLimits);
      const given = await this.givenFiles(ep);
      checkGrowth(given, files, this.settings.readLimits);
      const verifying = performance.now();
      verify = await this.task.verify(ep.instance, files, this.verifyContext(ep, files, given));
      verifyMs = Math.round(performance.now() - verifying);
    } catch (err) {
      if (this.isClosed) throw new ClosedError(`Env ${this.id}`);
      // The verification sandbox failed, not the agent's: infrastructure, whatever state the agent's is in.
      if (err instanceof CheckSandboxError) return this.endForInfra(ep, err);
      if (err instanceof WorkspaceError) {
        verify = { reward: 0, success: false, details: { workspaceError: { reason: err.reason, message: err.message } } };
      } else if (err instanceof SandboxError || err instanceof ClosedError) {
        // Once only: a sandbox the agent broke that still fails the scoring gives no verdict to record.
        return ep.scoringAfterFailure ? this.endForInfra(ep, err) : this.endForFailure(ep, err);
      } else throw err;
    }
    ep.ended = true;
    const info: StepInfo = { ...this.info(ep), verify, scoreMs: Math.round(performance.now() - started), ...(verifyMs !== undefined && { verifyMs }) };
    if (truncation) info.truncation = truncation;
    if (finishMessage !== undefined) info.finishMessage = finishMessage;
    return { observation, reward: verify.reward, terminated: !truncated, truncated, info };
  }

  /**
   * The sandbox failed under the episode. A container that no longer runs (or an engine that does
   * not answer) is infrastructure: truncated with `infraError`, never a plain zero. A container
   * that still runs but cannot take commands (its shell cannot be restarted) was broken by the
   * agent: the final state is scored, truncated as 'sandbox'.
   */
  private async endForFailure(ep: Episode<I>, error: Error): Promise<StepResult> {
    if (!(error instanceof SandboxError || error instanceof ClosedError)) throw error;
    if (await ep.sandbox.isAlive().catch(() => false)) {
      log('the agent broke its sandbox in %s: %s', ep.instance.id, error.message);
      const observation: Observation = { text: `The sandbox can no longer run commands: ${error.message}`, isError: true };
      ep.scoringAfterFailure = true;
      const result = await this.finishEpisode(ep, observation, true, 'sandbox');
      if (!result.info.infraError) result.info.sandboxError = { code: (error as HybridGymError).code, message: error.message };
      return result;
    }
    return this.endForInfra(ep, error);
  }

  private endForInfra(ep: Episode<I>, error: Error): StepResult {
    log('infrastructure failure in %s: %s', ep.instance.id, error.message);
    ep.ended = true;
    this.emit('error', { error, phase: 'step' });
    const info: StepInfo = {
      ...this.info(ep),
      truncation: 'infra',
      infraError: { code: (error as HybridGymError).code, message: error.message },
    };
    return {
      observation: { text: `The sandbox failed: ${error.message}`, isError: true },
      reward: 0,
      terminated: false,
      truncated: true,
      info,
    };
  }

  private givenFiles(ep: Episode<I>): Promise<WorkspaceFiles> {
    return (ep.given ??= Promise.resolve(this.task.workspace(ep.instance)));
  }

  /** Code checks see the final files with the task's protected files restored from the given ones. */
  private verifyContext(ep: Episode<I>, final: WorkspaceFiles, given: WorkspaceFiles): VerifyContext {
    const runner = (): CodeRunner => (this.runner ??= this.settings.checkRunner ?? new SandboxCodeRunner(this.pool.provider));
    return { workdir: ep.sandbox.workdir, run: checkRunFor(this.task, ep.instance, final, () => Promise.resolve(given), runner) };
  }

  private requireEpisode(): Episode<I> {
    if (this.isClosed) throw new ClosedError(`Env ${this.id}`);
    if (this.inFlight) {
      throw new EnvOrderError(`${this.id}: a call was made while ${this.inFlight}() is still running; await each call before the next`);
    }
    if (!this.episode) throw new EnvOrderError(`${this.id}: call reset() before step()`);
    if (this.episode.ended) throw new EnvOrderError(`${this.id}: the episode has ended; call reset() to start another`);
    return this.episode;
  }

  /** The used sandbox is closed in the background; nothing of it is reused. */
  private releaseEpisode(): void {
    const ep = this.episode;
    this.episode = null;
    if (ep) void this.sandboxes.release(ep.sandbox);
  }

  /** Close every sandbox of the env. A call still running is cancelled: it rejects with ClosedError. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    const ep = this.episode;
    this.episode = null;
    await Promise.all([ep ? this.sandboxes.release(ep.sandbox) : undefined, this.sandboxes.close()]);
    if (this.settings.ownsPool ?? true) {
      await this.pool.close();
      await this.pool.provider.close();
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
