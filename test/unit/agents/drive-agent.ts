import type { Agent, AgentContext } from '../../../src/agents/agent.js';
import type { Action } from '../../../src/tools/types.js';

/**
 * Drive an agent as runEpisode does, one call per step from step 0, with observations the test
 * makes up: the agent's own logic only, no env.
 */
export function driveAgent(agent: Agent, prompt: string): (text: string, isError?: boolean) => Promise<Action> {
  let step = 0;
  const ctx = (): AgentContext => ({ step, prompt, info: { envId: 'e', instanceId: 'i', workdir: '/workspace' }, history: [] });
  return async (text, isError = false) => {
    const action = await agent.act({ text, isError }, ctx());
    step++;
    return action;
  };
}
