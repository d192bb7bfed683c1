import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { NoopAgent, OracleAgent } from '../../agents/simple-agents.js';
import { registeredEnvs, taskByName } from '../../env/registry.js';
import { HybridGymError } from '../../errors.js';
import { isFailed, rollout, type EpisodeRecord } from '../../rollout/rollout.js';
import type { SandboxKind } from '../../sandbox/create-provider.js';
import { toJsonl } from '../../tasks/instances-io.js';
import { loadRepoFiles } from '../../workspace/files.js';
import { writeWorkspaceDir } from '../../workspace/host-workspace.js';
import { loadInstanceFile, pickInstance } from '../instance-file.js';
import { makeProgress } from '../progress.js';
import { progressBar } from '../progress-bar.js';

const int = (v: string): number => {
  const n = Number.parseInt(v, 10);
  if (!Number.isFinite(n)) throw new HybridGymError('BAD_ARGUMENT', `expected an integer, received "${v}"`);
  return n;
};

export function registerTaskCommands(program: Command): void {
  program
    .command('generate <task>')
    .description('generate task instances from a repository (JSON lines)')
    .requiredOption('--repo <dir>', 'the repository')
    .option('--n <n>', 'most instances to make', int)
    .option('--seed <seed>', 'seed', int, 0)
    .option('--out <file>', 'write here instead of stdout')
    .action(async (name: string, opts: { repo: string; n?: number; seed: number; out?: string }) => {
      const task = taskByName(name);
      if (!task?.generate) {
        const known = registeredEnvs().map((id) => id.replace(/^.*\/|-v\d+$/g, ''));
        throw new HybridGymError('UNKNOWN_TASK', `No task "${name}" with a generator; known: ${known.join(', ')}`);
      }
      const say = makeProgress();
      say(`generate: ${name} from ${opts.repo} (seed ${opts.seed})`);
      const instances = await task.generate({ repo: resolve(opts.repo), seed: opts.seed, ...(opts.n ? { n: opts.n } : {}) });
      const text = toJsonl(instances);
      if (opts.out) {
        await writeFile(opts.out, text);
        say(`generate: ${instances.length} instances -> ${opts.out}`);
      } else process.stdout.write(text);
    });

  program
    .command('prepare <instances>')
    .description('write the workspace the agent sees for one instance (a fresh one-commit git repo)')
    .requiredOption('--id <id>', 'instance id')
    .requiredOption('--dir <dir>', 'a new or empty directory')
    .action(async (path: string, opts: { id: string; dir: string }) => {
      const { task, instances } = await loadInstanceFile(path);
      const instance = pickInstance(instances, opts.id, path);
      await writeWorkspaceDir(opts.dir, await task.workspace(instance));
      process.stdout.write(`${JSON.stringify({ id: instance.id, dir: resolve(opts.dir), prompt: task.prompt(instance, { workdir: resolve(opts.dir) }) })}\n`);
    });

  program
    .command('verify <instances>')
    .description('score a workspace directory against one instance')
    .requiredOption('--id <id>', 'instance id')
    .requiredOption('--dir <dir>', 'the workspace to score')
    .action(async (path: string, opts: { id: string; dir: string }) => {
      const { task, instances } = await loadInstanceFile(path);
      const instance = pickInstance(instances, opts.id, path);
      const verdict = await task.verify(instance, await loadRepoFiles(opts.dir), { workdir: resolve(opts.dir) });
      process.stdout.write(`${JSON.stringify({ reward: verdict.reward, success: verdict.success, details: verdict.details })}\n`);
    });

  program
    .command('run <instances>')
    .description('run an agent on every instance; the last stdout line is a JSON summary')
    .requiredOption('--agent <agent>', 'oracle | noop')
    .option('--sandbox <kind>', 'docker | local', 'docker')
    .option('--concurrency <n>', 'episodes at once', int, 1)
    .option('--max-steps <n>', 'steps per episode', int, 50)
    .option('--out <file>', 'write each episode (trajectory) as JSON lines here')
    .action(async (path: string, opts: { agent: string; sandbox: SandboxKind; concurrency: number; maxSteps: number; out?: string }) => {
      const { task, instances } = await loadInstanceFile(path);
      const agents = { oracle: (env: never) => new OracleAgent(env), noop: () => new NoopAgent() } as const;
      const makeAgent = agents[opts.agent as keyof typeof agents];
      if (!makeAgent) throw new HybridGymError('UNKNOWN_AGENT', `Unknown agent "${opts.agent}"; use oracle or noop`);
      const bar = progressBar(instances.length, `${task.name} ${opts.agent}`);
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      process.once('SIGTERM', () => controller.abort());
      const { episodes, summary } = await rollout({
        task,
        instances,
        agent: makeAgent as never,
        concurrency: opts.concurrency,
        sandbox: opts.sandbox,
        maxSteps: opts.maxSteps,
        signal: controller.signal,
        onEpisode: (e: EpisodeRecord) => bar.tick(isFailed(e) ? 0 : e.reward, isFailed(e) || e.info.infraError !== undefined),
      });
      bar.stop();
      if (opts.out) await writeFile(opts.out, toJsonl(episodes));
      for (const e of episodes) {
        const line = isFailed(e)
          ? { id: e.instanceId, error: e.error }
          : { id: e.instanceId, reward: e.reward, success: e.success, steps: e.steps.length, ...(e.info.infraError ? { infraError: e.info.infraError } : {}) };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      }
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    });
}
