import { readdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { explainNoInstances } from '../../env/no-instances.js';
import { describeDropped, dropCollector, episodeImageContents, isEngineUnavailable, withDropped } from '../../env/image-check.js';
import { DEFAULT_IMAGE } from '../../image/default-image.js';
import { acceptsImageContents, type ImageContents } from '../../tasks/image-contents.js';
import { verifyFiles } from '../../env/verify-files.js';
import { SandboxCodeRunner } from '../../env/code-runner.js';
import { registeredEnvs, registeredTask, taskByName } from '../../env/registry.js';
import { closest } from '../../env/closest.js';
import { UsageError, ValidationError } from '../../errors.js';
import { isFailed, rollout, summarize, type EpisodeRecord } from '../../rollout/rollout.js';
import { appendEpisode, isComplete, readEpisodeFile } from '../../rollout/episode-file.js';
import { createProvider, type SandboxKind } from '../../sandbox/create-provider.js';
import type { BaseInstance, GenerateOptions, TaskDefinition } from '../../tasks/define-task.js';
import { toJsonl } from '../../tasks/instances-io.js';
import { loadRepoFiles } from '../../workspace/files.js';
import { writeWorkspaceDir } from '../../workspace/host-workspace.js';
import { existingDir, existingFile, keyValue, newOrEmptyDir, nonEmpty, oneOf, outputFile, seed, wholeNumber } from '../args.js';
import { loadInstanceFile, pickInstance } from '../instance-file.js';
import { addAgentOptions, agentFactory, checkAgentOptions, type AgentCliOptions } from '../agent-options.js';
import { modelBreaker } from '../model-breaker.js';
import { makeProgress } from '../progress.js';
import { progressBar } from '../progress-bar.js';

export const SANDBOXES = ['docker', 'local'] as const satisfies readonly SandboxKind[];

/** `--reuse` of the commands that run episodes: reused docker containers (the provider's `reuse`). */
export const REUSE_OPTION = ['--reuse', 'with --sandbox docker: reused containers, reset and shown clean between episodes; the agent runs as an unprivileged user on a read-only root (docs/sandboxes.md, "Reused containers")', false] as const;

/** The sandbox options `--reuse` asks for; a UsageError with any sandbox but docker. */
export function reuseOptions(reuse: boolean, sandbox: SandboxKind): { reuse: true } | undefined {
  if (!reuse) return undefined;
  if (sandbox !== 'docker') throw new UsageError('--reuse: only docker sandboxes are reused (--sandbox docker)', { option: '--reuse' });
  return { reuse: true };
}

/** Registered task types that have a generator, by name. */
function generatorTasks(): Array<TaskDefinition<BaseInstance>> {
  const names = new Set(registeredEnvs().map((id) => registeredTask(id)?.name).filter((n): n is string => n !== undefined));
  return [...names].map((n) => taskByName(n)!).filter((t) => t.generate !== undefined);
}

function taskName(value: string): string {
  const names = generatorTasks().map((t) => t.name);
  if (names.includes(value)) return value;
  const near = closest(value, names);
  throw new InvalidArgumentError(`${near ? `Did you mean "${near}"? ` : ''}Tasks: ${names.join(', ')}.`);
}

/**
 * The image's contents for generate's image check. No engine: a warning, and no check (generating
 * needs no sandbox); any other failure (the image is missing) stops the command.
 */
async function cliImageContents(image: string, say: (line: string) => void): Promise<ImageContents> {
  try {
    return await episodeImageContents({ sandbox: 'docker', image, onProgress: say });
  } catch (error) {
    if (!isEngineUnavailable(error)) throw error;
    process.stderr.write(`hybrid-gym: warning: the image check was skipped (targets whose answer ${image} holds are kept): ${error.message}\n`);
    return { name: image, hasDocstring: () => false, hasBody: () => false };
  }
}

/**
 * What a run runs: each instance `episodesPerInstance` times, less (with --resume) the complete
 * episodes --out already holds (infrastructure failures and agent errors run again). Without --resume, an --out that holds episodes is refused (a
 * second run would mix its episodes into the first's).
 */
function runSchedule(all: BaseInstance[], opts: { out?: string; resume: boolean; episodesPerInstance: number }): { instances: BaseInstance[]; kept: number } {
  if (opts.resume && opts.out === undefined) throw new UsageError('--resume goes with --out <file>, the file to resume', { option: '--resume' });
  const { episodes, droppedPartial } = opts.out ? readEpisodeFile(opts.out, { repair: opts.resume }) : { episodes: [], droppedPartial: false };
  if (!opts.resume && (episodes.length > 0 || droppedPartial)) {
    throw new UsageError(`--out ${opts.out} already holds ${episodes.length} episodes: add --resume to run only the rest, or give another file`, { option: '--out' });
  }
  if (droppedPartial) process.stderr.write(`hybrid-gym: ${opts.out}: its last line was cut (a killed run); it was removed\n`);
  const done = new Map<string, number>();
  for (const e of episodes) if (isComplete(e)) done.set(e.instanceId, (done.get(e.instanceId) ?? 0) + 1);
  let kept = 0;
  const instances = all.flatMap((i) => {
    const have = Math.min(done.get(i.id) ?? 0, opts.episodesPerInstance);
    kept += have;
    return Array.from({ length: opts.episodesPerInstance - have }, () => i);
  });
  return { instances, kept };
}

/** Tasks whose generator also takes issue rows (`--issues`, `--repos-dir`). */
const ROW_TASKS = ['issue-localize'];

interface GenerateCliOptions {
  repo?: string;
  issues?: string;
  reposDir?: string;
  n?: number;
  seed: number;
  out?: string;
  image?: string;
  imageCheck: boolean;
  sandbox: SandboxKind;
  set: Record<string, unknown>;
}

/** Where generate takes instances from: a repository, or issue rows with the folder of their clones. */
function generateSource(task: string, o: GenerateCliOptions): { repo: string; issues?: undefined } | { issues: string; reposDir: string; repo?: undefined } {
  if (o.issues !== undefined) {
    if (!ROW_TASKS.includes(task)) throw new UsageError(`--issues is for ${ROW_TASKS.join(', ')}; ${task} generates from --repo`, { option: '--issues' });
    if (o.repo !== undefined) throw new UsageError('give either --repo or --issues, not both', { option: '--repo' });
    if (o.reposDir === undefined) throw new UsageError('--issues needs --repos-dir, the folder of the clones (<dir>/<owner>__<name> or <dir>/<name>)', { option: '--repos-dir' });
    return { issues: resolve(o.issues), reposDir: resolve(o.reposDir) };
  }
  if (o.reposDir !== undefined) throw new UsageError('--repos-dir goes with --issues', { option: '--repos-dir' });
  if (o.repo === undefined) throw new UsageError(`generate ${task} needs --repo <dir>, the repository${ROW_TASKS.includes(task) ? ', or --issues <file> --repos-dir <dir>' : ''}`, { option: '--repo' });
  return { repo: resolve(o.repo) };
}

export function registerTaskCommands(program: Command): void {
  program
    .command('generate')
    .description('generate task instances from a repository (JSON lines on stdout, or --out)')
    .addArgument(new Argument('<task>', 'the task type (listed below)').argParser(taskName))
    .option('--repo <dir>', 'the repository (a folder of Python code)', existingDir)
    .option('--issues <file>', `issue rows in SWE-bench form (JSON lines), instead of --repo (tasks: ${ROW_TASKS.join(', ')})`, existingFile)
    .option('--repos-dir <dir>', 'with --issues: the folder of the clones, found as <dir>/<owner>__<name> or <dir>/<name>', existingDir)
    .option('--n <n>', 'most instances to make (whole number >= 1; default: the task\'s, 50 for the built-in ones)', wholeNumber(1))
    .option('--seed <seed>', 'seed of the sampling (whole number)', seed, 0)
    .option('--out <file>', 'write here instead of stdout (its folder must exist)', outputFile)
    .option('--image <tag>', `the sandbox image episodes will use: targets whose answer it holds are dropped (default ${DEFAULT_IMAGE}; another is written into each instance)`, nonEmpty)
    .option('--no-image-check', 'keep targets whose answer the image holds (and do not ask the engine)')
    .addOption(new Option('--sandbox <kind>', `where generators that run the repository's tests run them: ${SANDBOXES.join(' | ')}`).argParser(oneOf(SANDBOXES)).default('docker'))
    .option('--set <key=value>', 'a generator option of the task (repeatable; JSON values): --set perFile=10 --set \'pytest={"pythonPath":["src"]}\'', keyValue, {})
    .addHelpText('after', () => `\nTasks:\n${generatorTasks().map((t) => `  ${t.name.padEnd(16)}${t.description ?? ''}`).join('\n')}\n`)
    .action(async (name: string, opts: GenerateCliOptions) => {
      const task = taskByName(name)!;
      const say = makeProgress();
      const source = generateSource(name, opts);
      const repo = resolve(source.repo ?? source.issues);
      say(`generate: ${name} from ${repo} (seed ${opts.seed})`);
      const image = opts.image ?? DEFAULT_IMAGE;
      const drops = dropCollector((d) => process.stderr.write(`hybrid-gym: ${describeDropped(d)}\n`));
      // Rows are checked too (a later release of the package in the image holds their fix); dropped ones are reported the same way.
      const imageOptions = !acceptsImageContents(task) ? {} : opts.imageCheck ? { onDropped: drops.onDropped, loadImageContents: () => cliImageContents(image, say) }
        : source.issues ? { onDropped: drops.onDropped } : {};
      // Only generators that run the repository's tests start a provider.
      // They run them in the image the episodes will use (the repository's own, with its dependencies).
      const provider = task.generateInputs?.includes('runner') && source.repo
        ? await createProvider(opts.sandbox, opts.sandbox === 'docker' && opts.image !== undefined ? { image } : {})
        : undefined;
      let made: BaseInstance[];
      try {
        const runnerOptions = provider ? { runner: new SandboxCodeRunner(provider) } : {};
        const progress = task.generateInputs?.includes('progress') ? { onProgress: say } : {};
        made = await task
          // Issue rows stand in for the repository (GenerateOptions' `repo`) for the tasks that take them.
          .generate!({ ...opts.set, ...source, seed: opts.seed, ...(opts.n !== undefined ? { n: opts.n } : {}), ...imageOptions, ...runnerOptions, ...progress } as GenerateOptions)
          .catch((error: unknown) => {
            // A bad --set is the command line's misuse (exit 2), not a failure of the generator.
            if (error instanceof ValidationError && Object.keys(opts.set).length > 0) throw new UsageError(error.message, { option: '--set', cause: error });
            throw error;
          });
      } finally {
        await provider?.close();
      }
      const instances = opts.image !== undefined && opts.image !== DEFAULT_IMAGE ? made.map((i) => ({ ...i, image })) : made;
      // Nothing found is a failure with a reason, not an empty success.
      if (instances.length === 0) throw withDropped(await explainNoInstances(name, repo, opts.set), drops.dropped);
      // Fewer than asked is said, always: a silent shortfall looks like a complete set.
      if (opts.n !== undefined && instances.length < opts.n) {
        const limits = 'perFile' in opts.set ? '' : ' (a task may take a few per file: --set perFile=N raises that where the task has it)';
        process.stderr.write(`hybrid-gym: generate: ${instances.length} instances, fewer than the ${opts.n} asked for: no more targets in ${repo} qualify${limits}\n`);
      }
      const text = toJsonl(instances);
      if (opts.out) {
        await writeFile(opts.out, text);
        say(`generate: ${instances.length} instances -> ${opts.out}`);
      } else process.stdout.write(text);
    });

  program
    .command('prepare')
    .description('write the workspace the agent sees for one instance (a fresh one-commit git repo)')
    .addArgument(new Argument('<instances>', 'instances file (.jsonl)').argParser(existingFile))
    .requiredOption('--id <id>', 'instance id')
    .requiredOption('--dir <dir>', 'a new or empty directory', newOrEmptyDir)
    .action(async (path: string, opts: { id: string; dir: string }) => {
      const { task, instances } = await loadInstanceFile(path);
      const instance = pickInstance(instances, opts.id, path);
      if ((await readdir(opts.dir).catch(() => [])).length > 0) {
        throw new UsageError(`--dir ${opts.dir} is not empty; give a new or empty directory`, { option: '--dir' });
      }
      await writeWorkspaceDir(opts.dir, await task.workspace(instance));
      process.stdout.write(`${JSON.stringify({ id: instance.id, dir: resolve(opts.dir), prompt: await task.prompt(instance, { workdir: resolve(opts.dir) }) })}\n`);
    });

  program
    .command('verify')
    .description('score a workspace directory against one instance; prints {"reward","success","details"}')
    .addArgument(new Argument('<instances>', 'instances file (.jsonl)').argParser(existingFile))
    .requiredOption('--id <id>', 'instance id')
    .requiredOption('--dir <dir>', 'the workspace to score', existingDir)
    .addOption(new Option('--sandbox <kind>', `where code checks run: ${SANDBOXES.join(' | ')}`).argParser(oneOf(SANDBOXES)).default('docker'))
    .action(async (path: string, opts: { id: string; dir: string; sandbox: SandboxKind }) => {
      const { task, instances } = await loadInstanceFile(path);
      const instance = pickInstance(instances, opts.id, path);
      const verdict = await verifyFiles(task, instance, await loadRepoFiles(opts.dir), { sandbox: opts.sandbox, workdir: resolve(opts.dir) });
      process.stdout.write(`${JSON.stringify({ reward: verdict.reward, success: verdict.success, details: verdict.details })}\n`);
    });

  const run = program
    .command('run')
    .description('run an agent on every instance; one JSON line per episode, then the summary')
    .addArgument(new Argument('<instances>', 'instances file (.jsonl)').argParser(existingFile));
  addAgentOptions(run)
    .addOption(new Option('--sandbox <kind>', `where episodes run: ${SANDBOXES.join(' | ')}`).argParser(oneOf(SANDBOXES)).default('docker'))
    .option(...REUSE_OPTION)
    .option('--concurrency <n>', 'episodes at once (whole number >= 1)', wholeNumber(1), 1)
    .option('--max-steps <n>', 'steps per episode (whole number >= 1)', wholeNumber(1), 50)
    .option('--out <file>', 'append each episode (trajectory) as a JSON line here as it ends (its folder must exist)', outputFile)
    .option('--resume', 'with --out: run only what the file lacks (episodes that ended on an infrastructure failure run again)', false)
    .option('--episodes-per-instance <k>', 'episodes of each instance (whole number >= 1)', wholeNumber(1), 1)
    .action(async (path: string, opts: AgentCliOptions & { sandbox: SandboxKind; reuse: boolean; concurrency: number; maxSteps: number; out?: string; resume: boolean; episodesPerInstance: number }) => {
      checkAgentOptions(opts);
      const reuse = reuseOptions(opts.reuse, opts.sandbox);
      const { task, instances: all } = await loadInstanceFile(path);
      const schedule = runSchedule(all, opts);
      const instances = schedule.instances;
      if (instances.length === 0) {
        process.stderr.write(`hybrid-gym: ${opts.out} already holds every episode asked for (${schedule.kept} kept); nothing to run\n`);
        process.stdout.write(`${JSON.stringify({ ...summarize([]), skipped: schedule.kept })}\n`);
        return;
      }
      if (schedule.kept > 0) process.stderr.write(`hybrid-gym: resuming: ${schedule.kept} episodes in ${opts.out} are kept; ${instances.length} to run\n`);
      const agent = await agentFactory(opts);
      const bar = progressBar(instances.length, `${task.name} ${opts.agent}`);
      const controller = new AbortController();
      let stoppedBy: NodeJS.Signals | undefined;
      const stop = (signal: NodeJS.Signals) => () => {
        stoppedBy = signal;
        process.stderr.write(`\nhybrid-gym: ${signal}: starting no more episodes; the running ones finish (again to quit now)\n`);
        process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
        controller.abort();
      };
      process.once('SIGINT', stop('SIGINT'));
      process.once('SIGTERM', stop('SIGTERM'));
      const watchModel = modelBreaker();
      let modelStop: string | undefined;
      const { episodes, summary } = await rollout({
        task,
        instances,
        agent,
        concurrency: opts.concurrency,
        sandbox: opts.sandbox,
        ...(reuse && { sandboxOptions: reuse }),
        maxSteps: opts.maxSteps,
        signal: controller.signal,
        onEpisode: (e: EpisodeRecord) => {
          // Written as each ends: a crash or a kill loses only the episodes still running.
          if (opts.out) appendEpisode(opts.out, e);
          bar.tick(isFailed(e) ? 0 : e.reward, isFailed(e) || e.info.infraError !== undefined);
          const reason = watchModel(e);
          if (reason && !stoppedBy) {
            modelStop = reason;
            process.stderr.write(`\nhybrid-gym: stopping: ${reason}; starting no more episodes\n`);
            controller.abort();
          }
        },
      });
      bar.stop();
      for (const e of episodes) {
        const line = isFailed(e)
          ? { id: e.instanceId, error: e.error }
          : { id: e.instanceId, reward: e.reward, success: e.success, steps: e.steps.length, ...(e.info.infraError && { infraError: e.info.infraError }), ...(e.info.agentError && { agentError: e.info.agentError }) };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      }
      // An interrupted run says so on its last line and in its exit code: it is not a complete one.
      const last = { ...summary, ...(schedule.kept > 0 && { skipped: schedule.kept }), ...((stoppedBy || modelStop) && { interrupted: true }) };
      process.stdout.write(`${JSON.stringify(last)}\n`);
      const resume = opts.out ? `; run again with --out ${opts.out} --resume to run the rest` : '';
      if (stoppedBy) {
        process.stderr.write(`hybrid-gym: interrupted by ${stoppedBy}: ${episodes.length} of ${instances.length} episodes ran${resume}\n`);
        process.exitCode = stoppedBy === 'SIGINT' ? 130 : 143;
      } else if (modelStop) {
        process.stderr.write(`hybrid-gym: stopped: ${modelStop}: ${episodes.length} of ${instances.length} episodes ran${resume}\n`);
        process.exitCode = 1;
      }
    });
}
