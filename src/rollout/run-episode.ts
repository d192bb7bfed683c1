import type { Agent } from '../agents/agent.js';
import type { Env, ResetOptions, StepInfo, StepResult } from '../env/types.js';
import type { Action } from '../tools/types.js';

/** One episode as it happened: the prompt, every action and what it produced, the verdict. */
export interface Episode {
  envId: string;
  instanceId: string;
  agent: string;
  prompt: string;
  steps: Array<{ action: Action; observation: StepResult['observation']; reward: number }>;
  reward: number;
  success: boolean;
  terminated: boolean;
  truncated: boolean;
  info: StepInfo;
  durationMs: number;
}

/** Run one episode of `agent` in `env`, from reset to the end. */
export async function runEpisode(env: Env, agent: Agent, reset: ResetOptions = {}): Promise<Episode> {
  const started = Date.now();
  const { observation: first, info } = await env.reset(reset);
  const history: Array<{ action: Action; result: StepResult }> = [];
  let observation = first;
  for (;;) {
    const action = await agent.act(observation, { step: history.length, prompt: first.text, info, history });
    const result = await env.step(action);
    history.push({ action, result });
    observation = result.observation;
    if (result.terminated || result.truncated) {
      return {
        envId: info.envId,
        instanceId: info.instanceId,
        agent: agent.name,
        prompt: first.text,
        steps: history.map((h) => ({ action: h.action, observation: h.result.observation, reward: h.result.reward })),
        reward: result.reward,
        success: result.info.verify?.success ?? false,
        terminated: result.terminated,
        truncated: result.truncated,
        info: result.info,
        durationMs: Date.now() - started,
      };
    }
  }
}
