import { describe, expect, it } from 'vitest';
import { NoopAgent } from '../../../src/agents/simple-agents.js';
import { ValidationError } from '../../../src/errors.js';
import { rollout } from '../../../src/rollout/rollout.js';
import { createProvider } from '../../../src/sandbox/create-provider.js';
import { writeFileTask } from '../../fixtures/tasks/write-file-task.js';

describe('rollout() options', () => {
  const base = { task: writeFileTask, instances: [{ id: 'a', task: 'write-file', repo: { path: '.', name: 'x' }, seed: 0 }], agent: () => new NoopAgent() };

  for (const [what, extra, message] of [
    ['concurrency 0', { concurrency: 0 }, /concurrency/],
    ['concurrency 1.5', { concurrency: 1.5 }, /concurrency/],
    ['an unknown sandbox', { sandbox: 'foo' }, /sandbox/],
    ['a misspelt option', { maxStep: 3 }, /maxSteps/],
  ] as const) {
    it(`refuses ${what} before starting anything`, async () => {
      const err = await rollout({ ...base, ...(extra as object) } as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('refuses no instances', async () => {
    await expect(rollout({ ...base, instances: [] } as never)).rejects.toThrow(/at least one instance/);
  });

  it('createProvider refuses an unknown kind instead of starting Docker', async () => {
    await expect(createProvider('foo' as never)).rejects.toThrow(ValidationError);
  });
});
