import createDebug from 'debug';
import type { Agent } from '../agents/agent.js';
import type { AgentSetup, ModelTurn } from '../agents/model-turn.js';
import type { Env, ResetOptions, StepInfo, StepResult } from '../env/types.js';
import type { Action } from '../tools/types.js';

const log = createDebug('hybrid-gym:rollout');

/** One step of an episode: the action, what it produced, and the model turn it came from. */
export interface EpisodeStep {
  action: Action;
  observation: StepResult['observation'];
  reward: number;
  /** Milliseconds the env took for the step (the agent's thinking not included). */
  ms?: number;
  /** Index in `Episode.turns` of the model call this action came from (LLM agents). */
  turn?: number;
}

/** One episode as it happened: the prompt, every action and what it produced, the verdict. */
export interface Episode {
  envId: string;
  instanceId: string;
  agent: string;
  /** The model of an LLM agent. */
  model?: string;
  /** How an LLM agent talked to its model (what an export needs to rebuild the conversation). */
  setup?: AgentSetup;
  prompt: string;
  steps: EpisodeStep[];
  /** Every call of an LLM agent's model, in order: text, reasoning, tool calls, usage, timing, logprobs. */
  turns?: ModelTurn[];
  reward: number;
  success: boolean;
  terminated: boolean;
  truncated: boolean;
  info: StepInfo;
  durationMs: number;
}

/**
 * Run one episode of `agent` in `env`, from reset to the end. An agent whose `act` throws (its
 * model does not answer, its code fails) ends the episode as truncated 'agent': the final state is
 * scored and `info.agentError` says why; infrastructure failures stay `info.infraError`.
 */
export async function runEpisode(env: Env, agent: Agent, reset: ResetOptions = {}): Promise<Episode> {
  const started = Date.now();
  const { observation: first, info } = await env.reset(reset);
  const history: Array<{ action: Action; result: StepResult }> = [];
  const steps: EpisodeStep[] = [];
  const turns: ModelTurn[] = [];
  const takeTurns = (): void => {
    for (const t of agent.takeTurns?.() ?? []) turns.push(t);
  };
  let observation = first;
  let result: StepResult;
  for (;;) {
    let action: Action;
    try {
      action = await agent.act(observation, { step: history.length, prompt: first.text, info, history });
    } catch (err) {
      takeTurns();
      const e = err as Error & { code?: unknown; kind?: unknown; status?: unknown };
      log('agent %s failed in %s: %s', agent.name, info.instanceId, e.message);
      result = await env.end('agent');
      const agentError = {
        code: typeof e.code === 'string' ? e.code : e.name,
        message: e.message,
        ...(typeof e.kind === 'string' && { kind: e.kind }),
        ...(typeof e.status === 'number' && { status: e.status }),
      };
      result = { ...result, info: { ...result.info, agentError } };
      break;
    }
    takeTurns();
    const t = performance.now();
    result = await env.step(action);
    history.push({ action, result });
    steps.push({
      action,
      observation: result.observation,
      reward: result.reward,
      ms: Math.round(performance.now() - t),
      ...(turns.length > 0 && { turn: turns.length - 1 }),
    });
    observation = result.observation;
    if (result.terminated || result.truncated) break;
  }
  return {
    envId: info.envId,
    instanceId: info.instanceId,
    agent: agent.name,
    ...(agent.setup && { model: agent.setup.model, setup: agent.setup }),
    prompt: first.text,
    steps,
    ...(turns.length > 0 && { turns }),
    reward: result.reward,
    success: result.info.verify?.success ?? false,
    terminated: result.terminated,
    truncated: result.truncated,
    info: result.info,
    durationMs: Date.now() - started,
  };
}
