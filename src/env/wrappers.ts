import type { EventEmitter } from 'eventemitter3';
import { EnvOrderError } from '../errors.js';
import type { Action } from '../tools/types.js';
import type { Env, EnvEvents, ResetOptions, StepResult, Truncation } from './types.js';

/** Base class for wrappers: delegates everything to the wrapped env; override what you change. */
export class Wrapper implements Env {
  constructor(readonly env: Env) {}

  get id(): string {
    return this.env.id;
  }
  get unwrapped(): Env {
    return this.env.unwrapped;
  }
  reset(options?: ResetOptions): ReturnType<Env['reset']> {
    return this.env.reset(options);
  }
  step(action: Action): Promise<StepResult> {
    return this.env.step(action);
  }
  end(reason: Truncation): Promise<StepResult> {
    return this.env.end(reason);
  }
  close(): Promise<void> {
    return this.env.close();
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
  on<E extends EventEmitter.EventNames<EnvEvents>>(event: E, fn: EventEmitter.EventListener<EnvEvents, E>): this {
    this.env.on(event, fn);
    return this;
  }
  once<E extends EventEmitter.EventNames<EnvEvents>>(event: E, fn: EventEmitter.EventListener<EnvEvents, E>): this {
    this.env.once(event, fn);
    return this;
  }
  off<E extends EventEmitter.EventNames<EnvEvents>>(event: E, fn?: EventEmitter.EventListener<EnvEvents, E>): this {
    this.env.off(event, fn);
    return this;
  }
}

export interface TimeLimitOptions {
  /** Steps per episode. @default 50 */
  maxSteps?: number;
  /** Wall-clock ms per episode. @default 1_800_000 (30 minutes) */
  maxMs?: number;
}

/** Truncates an episode when its step or time budget runs out; the final state is still scored. */
export class TimeLimit extends Wrapper {
  private steps = 0;
  private startedAt = 0;
  readonly maxSteps: number;
  readonly maxMs: number;

  constructor(env: Env, options: TimeLimitOptions = {}) {
    super(env);
    this.maxSteps = options.maxSteps ?? 50;
    this.maxMs = options.maxMs ?? 1_800_000;
  }

  override async reset(options?: ResetOptions): ReturnType<Env['reset']> {
    const r = await super.reset(options);
    this.steps = 0;
    this.startedAt = Date.now();
    return r;
  }

  override async step(action: Action): Promise<StepResult> {
    const r = await super.step(action);
    this.steps++;
    if (r.terminated || r.truncated) return r;
    const reason: Truncation | undefined =
      this.steps >= this.maxSteps ? 'steps' : Date.now() - this.startedAt >= this.maxMs ? 'time' : undefined;
    if (!reason) return r;
    const end = await this.env.end(reason);
    // The agent sees what its last action produced; the program sees the verdict.
    return { ...end, observation: r.observation };
  }
}

/** Throws `EnvOrderError` when a program steps before reset or after the episode ended. */
export class OrderEnforcing extends Wrapper {
  private state: 'new' | 'running' | 'ended' = 'new';
  private resetting = false;

  override async reset(options?: ResetOptions): ReturnType<Env['reset']> {
    this.resetting = true;
    try {
      const r = await super.reset(options);
      this.state = 'running';
      return r;
    } finally {
      this.resetting = false;
    }
  }

  override async step(action: Action): Promise<StepResult> {
    if (this.resetting) throw new EnvOrderError(`${this.id}: step() was called while reset() is still running; await reset() first`);
    if (this.state === 'new') throw new EnvOrderError(`${this.id}: call reset() before step()`);
    if (this.state === 'ended') throw new EnvOrderError(`${this.id}: the episode has ended; call reset() to start another`);
    const r = await super.step(action);
    if (r.terminated || r.truncated) this.state = 'ended';
    return r;
  }

  override async end(reason: Truncation): Promise<StepResult> {
    if (this.state !== 'running') throw new EnvOrderError(`${this.id}: no episode is running`);
    const r = await super.end(reason);
    this.state = 'ended';
    return r;
  }
}
