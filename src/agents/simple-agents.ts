import type { Env } from '../env/types.js';
import { TaskEnv } from '../env/task-env.js';
import { HybridGymError } from '../errors.js';
import type { Action } from '../tools/types.js';
import type { Agent, AgentContext } from './agent.js';

/** Calls `finish` at once: the floor every verifier must score 0 (or at least not 1). */
export class NoopAgent implements Agent {
  readonly name = 'noop';
  act(): Action {
    return { tool: 'finish', input: { message: 'done' } };
  }
}

/** Replays a fixed list of actions, then finishes: for unit-testing agent code and envs. */
export class ScriptedAgent implements Agent {
  readonly name: string;
  private readonly actions: readonly Action[];

  constructor(actions: readonly Action[], options: { name?: string } = {}) {
    this.actions = actions;
    this.name = options.name ?? 'scripted';
  }

  act(_observation: unknown, context: AgentContext): Action {
    return this.actions[context.step] ?? { tool: 'finish', input: { message: 'script ended' } };
  }
}

/**
 * Solves the current instance from its gold answer through the tools, like any agent: an oracle
 * run proves generator, tools, sandbox and verifier together.
 */
export class OracleAgent implements Agent {
  readonly name = 'oracle';
  private plan: Action[] = [];
  private planFor: string | undefined;

  constructor(private readonly env: Env) {}

  async act(_observation: unknown, context: AgentContext): Promise<Action> {
    const inner = this.env.unwrapped;
    if (!(inner instanceof TaskEnv)) throw new HybridGymError('NOT_A_TASK_ENV', `OracleAgent needs a task-backed env, got ${inner.id}`);
    if (this.planFor !== context.info.instanceId || context.step === 0) {
      this.plan = [...(await inner.oracleActions()), { tool: 'finish', input: { message: 'oracle done' } }];
      this.planFor = context.info.instanceId;
    }
    return this.plan[context.step] ?? { tool: 'finish', input: { message: 'oracle done' } };
  }
}
