import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { Option, type Command } from 'commander';
import { NoopAgent, OracleAgent } from '../../agents/simple-agents.js';
import type { Env } from '../../env/types.js';
import { HybridGymError } from '../../errors.js';
import { rollout, isFailed } from '../../rollout/rollout.js';
import type { SandboxKind } from '../../sandbox/create-provider.js';
import { funcLocalizeTask } from '../../tasks/func-localize/index.js';
import { explainNoInstances } from '../../env/no-instances.js';
import { describeDropped, dropCollector, episodeImageContents, withDropped } from '../../env/image-check.js';
import { DEFAULT_IMAGE } from '../../image/default-image.js';
import { cacheDir } from '../../image/manifest.js';
import { existingDir, oneOf, wholeNumber } from '../args.js';
import { makeProgress } from '../progress.js';
import { SANDBOXES } from './task-commands.js';
import { DEMO_PACKAGE, demoFetchFolder } from '../../util/demo-package.js';

export { DEMO_PACKAGE };

/** The demo's repository: `<cache>/demo/<package>/<dir>`, fetched on first use. */
export async function demoRepo(say: (line: string) => void, cache: string = cacheDir()): Promise<string> {
  const root = join(cache, 'demo', DEMO_PACKAGE.deb);
  const repo = join(root, DEMO_PACKAGE.dir);
  if (existsSync(join(repo, '__init__.py'))) return repo;
  say(`demo: fetching ${DEMO_PACKAGE.deb} (apt-get download, dpkg -x) into ${root}`);
  const tmp = demoFetchFolder(root);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const fetched = await execa('apt-get', ['download', DEMO_PACKAGE.deb], { cwd: tmp, reject: false, stdin: 'ignore' });
    const deb = (await readdir(tmp)).find((f) => f.endsWith('.deb'));
    if (fetched.exitCode !== 0 || !deb) {
      const why = fetched.failed && fetched.exitCode === undefined ? 'apt-get is not installed' : lastLine(String(fetched.stderr)) || `exit ${fetched.exitCode}`;
      throw new HybridGymError(
        'DEMO_FETCH',
        `The demo runs on ${DEMO_PACKAGE.deb}, fetched with \`apt-get download\`, which failed here (${why}); pass --repo DIR (a Python repository that is not in the image)`,
      );
    }
    await execa('dpkg', ['-x', deb, 'tree'], { cwd: tmp });
    await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
    await rename(join(tmp, 'tree', 'usr'), join(root, 'usr'));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  if (!existsSync(join(repo, '__init__.py'))) throw new HybridGymError('DEMO_FETCH', `${DEMO_PACKAGE.deb} holds no ${DEMO_PACKAGE.dir}; pass --repo DIR`);
  return repo;
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter((l) => !/^W: Download is performed unsandboxed/.test(l)).at(-1) ?? '';
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('generate func-localize tasks from real code, run the oracle and a no-op agent in sandboxes, show a prompt and the rewards')
    .option('--repo <dir>', `Python repository (default: ${DEMO_PACKAGE.deb}, fetched with apt-get download: real code that is not in the image)`, existingDir)
    .addOption(new Option('--sandbox <kind>', `where episodes run: ${SANDBOXES.join(' | ')}`).argParser(oneOf(SANDBOXES)).default('docker'))
    .option('--n <n>', 'instances (whole number >= 1)', wholeNumber(1), 4)
    .action(async (opts: { repo?: string; sandbox: SandboxKind; n: number }) => {
      const say = makeProgress(true);
      const out = (s = ''): boolean => process.stdout.write(`${s}\n`);
      const repo = resolve(opts.repo ?? (await demoRepo(say)));

      say(`demo: generating func-localize instances from ${repo}`);
      // Targets whose docstring the episodes' image holds are dropped (the agent could read them there).
      const drops = dropCollector((d) => say(`demo: ${describeDropped(d)}`));
      const imageCheck = opts.sandbox === 'docker' ? { loadImageContents: () => episodeImageContents({ sandbox: 'docker', onProgress: say }), onDropped: drops.onDropped } : {};
      const instances = await funcLocalizeTask.generate!({ repo, n: opts.n, seed: 0, ...imageCheck });
      if (instances.length === 0) throw withDropped(await explainNoInstances(funcLocalizeTask.name, repo), drops.dropped);
      const dropped = drops.dropped.reduce((n, d) => n + d.count, 0);
      const imageNote =
        opts.sandbox !== 'docker' ? '' : dropped === 0 ? ` (none of their docstrings is in the image ${DEFAULT_IMAGE})` : ` (${dropped} targets dropped: docstring in image ${DEFAULT_IMAGE})`;
      out(`${instances.length} instances from ${repo}${imageNote}; the first prompt:\n`);
      out((await funcLocalizeTask.prompt(instances[0]!, { workdir: '/workspace' })).replace(/^/gm, '  | '));
      out();

      for (const [name, agent] of [
        ['oracle', (env: Env) => new OracleAgent(env)],
        ['noop', () => new NoopAgent()],
      ] as const) {
        say(`demo: running the ${name} agent in ${opts.sandbox} sandboxes`);
        const { episodes, summary } = await rollout({
          task: funcLocalizeTask,
          instances,
          agent,
          concurrency: 2,
          sandbox: opts.sandbox,
          onEpisode: (e, done, total) => say(`  ${name} ${done}/${total} ${e.instanceId}: ${isFailed(e) ? e.error.message : `reward ${e.reward}`}`),
        });
        out(`${name.padEnd(6)} rewards ${episodes.map((e) => (isFailed(e) ? 'error' : e.reward)).join(' ')}  ${JSON.stringify(summary)}`);
      }
    });
}
