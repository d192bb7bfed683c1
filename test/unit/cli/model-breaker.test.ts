import { describe, expect, it } from 'vitest';
import { modelBreaker } from '../../../src/cli/model-breaker.js';
import type { EpisodeRecord } from '../../../src/rollout/rollout.js';

const ended = (agentError?: { code: string; message: string; kind?: string }): EpisodeRecord => ({
  envId: 'e',
  instanceId: 'i',
  agent: 'a',
  prompt: 'p',
  steps: [],
  reward: 0,
  success: false,
  terminated: !agentError,
  truncated: !!agentError,
  info: { instanceId: 'i', step: 0, elapsedMs: 0, ...(agentError && { truncation: 'agent' as const, agentError }) },
  durationMs: 1,
});
const model = (kind: string) => ended({ code: 'MODEL', message: `failed (${kind})`, kind });

describe('modelBreaker: when a run stops because its model server cannot serve it', () => {
  it('stops at the first episode refused for a wrong key, model or URL', () => {
    const see = modelBreaker();
    expect(see(model('misconfigured'))).toMatch(/refused the run \(failed \(misconfigured\)\): check --model, --base-url and the API key/);
    expect(see(model('misconfigured'))).toBeUndefined();
  });

  it('stops after 3 episodes in a row without a reply; an episode that ran resets the count', () => {
    const see = modelBreaker(3);
    expect(see(model('timeout'))).toBeUndefined();
    expect(see(model('unreachable'))).toBeUndefined();
    expect(see(ended())).toBeUndefined();
    expect(see(model('overloaded'))).toBeUndefined();
    expect(see(model('timeout'))).toBeUndefined();
    expect(see(model('unreachable'))).toMatch(/^3 episodes in a row ended because the model gave no reply \(last: failed \(unreachable\)\)/);
  });

  it('does not stop for what a model does to itself: a refused request (context too long), a bad reply, an agent bug', () => {
    const see = modelBreaker(2);
    for (const e of [model('refused'), model('bad-reply'), ended({ code: 'TypeError', message: 'x is undefined' }), model('refused')]) expect(see(e)).toBeUndefined();
    expect(see({ instanceId: 'i', error: { code: 'SANDBOX', message: 'engine gone' } })).toBeUndefined();
  });
});
