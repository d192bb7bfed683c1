import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { NoopAgent, OracleAgent } from '../../agents/simple-agents.js';
import type { Env } from '../../env/types.js';
import { HybridGymError } from '../../errors.js';
import { rollout, isFailed } from '../../rollout/rollout.js';
import type { SandboxKind } from '../../sandbox/create-provider.js';
import { funcLocalizeTask } from '../../tasks/func-localize/index.js';
import { explainNoInstances } from '../../env/no-instances.js';
import { existingDir, oneOf, wholeNumber } from '../args.js';
import { makeProgress } from '../progress.js';
import { SANDBOXES } from './task-commands.js';

/** Real Python code every Debian machine with python3 has: a package of the standard library. */
const DEFAULT_REPOS = ['/usr/lib/python3.11/json', '/usr/lib/python3/json', '/usr/lib/python3.12/json'];

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('generate func-localize tasks from real code, run the oracle and a no-op agent in sandboxes, show a prompt and the rewards')
    .option('--repo <dir>', 'Python repository (default: the json package of the system Python)', existingDir)
    .addOption(new Option('--sandbox <kind>', `where episodes run: ${SANDBOXES.join(' | ')}`).argParser(oneOf(SANDBOXES)).default('docker'))
    .option('--n <n>', 'instances (whole number >= 1)', wholeNumber(1), 4)
    .action(async (opts: { repo?: string; sandbox: SandboxKind; n: number }) => {
      const say = makeProgress(true);
      const out = (s = ''): boolean => process.stdout.write(`${s}\n`);
      const repo = opts.repo ?? DEFAULT_REPOS.find((d) => existsSync(d));
      if (!repo) throw new HybridGymError('NO_REPO', 'No Python standard library found here; pass --repo DIR');

      say(`demo: generating func-localize instances from ${resolve(repo)}`);
      const instances = await funcLocalizeTask.generate!({ repo: resolve(repo), n: opts.n, seed: 0 });
      if (instances.length === 0) throw await explainNoInstances(funcLocalizeTask.name, resolve(repo));
      out(`${instances.length} instances from ${resolve(repo)}; the first prompt:\n`);
      out(funcLocalizeTask.prompt(instances[0]!, { workdir: '/workspace' }).replace(/^/gm, '  | '));
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
