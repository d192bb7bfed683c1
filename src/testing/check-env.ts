import { HybridGymError } from '../errors.js';
import type { Env, StepResult } from '../env/types.js';
import type { Observation } from '../tools/types.js';

/** One failed expectation of `checkEnv`. */
export interface CheckFailure {
  check: string;
  problem: string;
}

export class CheckEnvError extends HybridGymError {
  readonly failures: readonly CheckFailure[];
  constructor(envId: string, failures: readonly CheckFailure[]) {
    super('CHECK_ENV', `${envId} fails ${failures.length} check(s):\n${failures.map((f) => `  - ${f.check}: ${f.problem}`).join('\n')}`);
    this.failures = failures;
  }
}

export interface CheckEnvOptions {
  /** Seed used for the determinism check. @default 0 */
  seed?: number;
  /** Also close the env and check that a second close is harmless. @default false */
  close?: boolean;
}

/**
 * Conformance check for envs and wrappers, like Gymnasium's `check_env`: run it on your own envs
 * in a unit test. Resolves with the names of the checks that passed; throws `CheckEnvError` listing
 * every failure otherwise.
 */
export async function checkEnv(env: Env, options: CheckEnvOptions = {}): Promise<string[]> {
  const seed = options.seed ?? 0;
  const passed: string[] = [];
  const failures: CheckFailure[] = [];
  const check = async (name: string, fn: () => Promise<string | undefined>): Promise<void> => {
    try {
      const problem = await fn();
      if (problem) failures.push({ check: name, problem });
      else passed.push(name);
    } catch (err) {
      failures.push({ check: name, problem: `threw ${(err as Error).name}: ${(err as Error).message}` });
    }
  };

  // A local sandbox's workdir is a fresh temporary path: compare prompts with it factored out.
  const normalize = (text: string, workdir: unknown): string => (typeof workdir === 'string' && workdir ? text.split(workdir).join('<workdir>') : text);
  let firstPrompt = '';
  let firstInstance = '';
  await check('reset returns a prompt and info', async () => {
    const { observation, info } = await env.reset({ seed });
    firstPrompt = normalize(observation.text, info?.workdir);
    firstInstance = String(info?.instanceId);
    return badObservation(observation) ?? (typeof info?.instanceId === 'string' ? undefined : 'info.instanceId is not a string');
  });
  await check('a malformed action is an error observation, not an exception', async () => {
    const r = await env.step({ tool: 'no-such-tool', input: { x: 1 } });
    return badStep(r) ?? (r.observation.isError ? undefined : 'isError is false') ?? (r.terminated || r.truncated ? 'the episode ended' : undefined);
  });
  await check('a bad input to a real tool is an error observation', async () => {
    const r = await env.step({ tool: 'str_replace_editor', input: { command: 'view', path: 'relative/path' } });
    return badStep(r) ?? (r.observation.isError ? undefined : 'isError is false');
  });
  await check('bash runs in the workspace', async () => {
    const r = await env.step({ tool: 'bash', input: { command: 'echo check-env-$((40+2))' } });
    return badStep(r) ?? (r.observation.text.includes('check-env-42') ? undefined : `output was ${JSON.stringify(r.observation.text.slice(0, 200))}`);
  });
  await check('finish terminates with a finite reward in [0, 1]', async () => {
    const r = await env.step({ tool: 'finish', input: { message: 'check' } });
    if (!r.terminated) return 'terminated is false';
    return Number.isFinite(r.reward) && r.reward >= 0 && r.reward <= 1 ? undefined : `reward ${r.reward}`;
  });
  await check('step after the end throws EnvOrderError', async () => {
    try {
      await env.step({ tool: 'think', input: { thought: 'x' } });
      return 'no error was thrown';
    } catch (err) {
      // By code, not instanceof: the ESM and CJS builds each have their own copy of the class.
      return (err as { code?: unknown }).code === 'ENV_ORDER' ? undefined : `threw ${(err as Error).name} instead`;
    }
  });
  await check('the same seed gives the same instance and prompt', async () => {
    const { observation, info } = await env.reset({ seed });
    if (info.instanceId !== firstInstance) return `instance ${info.instanceId} != ${firstInstance}`;
    return normalize(observation.text, info.workdir) === firstPrompt ? undefined : 'the prompt differs';
  });
  await check('end() truncates and says why', async () => {
    const r = await env.end('steps');
    return r.truncated && !r.terminated && r.info.truncation === 'steps' ? undefined : `got truncated=${r.truncated} truncation=${r.info.truncation}`;
  });
  if (options.close) {
    await check('close() twice is harmless', async () => {
      await env.close();
      await env.close();
      return undefined;
    });
  }
  if (failures.length > 0) throw new CheckEnvError(env.id, failures);
  return passed;
}

function badObservation(o: Observation | undefined): string | undefined {
  if (!o || typeof o.text !== 'string') return 'observation.text is not a string';
  if (typeof o.isError !== 'boolean') return 'observation.isError is not a boolean';
  return undefined;
}

function badStep(r: StepResult): string | undefined {
  return (
    badObservation(r.observation) ??
    (typeof r.reward === 'number' ? undefined : 'reward is not a number') ??
    (typeof r.terminated === 'boolean' && typeof r.truncated === 'boolean' ? undefined : 'terminated/truncated not booleans') ??
    (typeof r.info?.step === 'number' ? undefined : 'info.step is not a number')
  );
}
