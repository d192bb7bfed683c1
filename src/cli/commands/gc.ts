import type { Command } from 'commander';
import { connectDocker } from '../../sandbox/docker/docker-client.js';
import { reapContainers } from '../../sandbox/docker/reaper.js';

export function registerGc(program: Command): void {
  program
    .command('gc')
    .description('remove sandbox containers, and workdir volumes no container uses, whose owning process is gone (--all: every hybrid-gym one)')
    .option('--all', 'remove every hybrid-gym container and unused volume, also those of running processes', false)
    .action(async (opts: { all: boolean }) => {
      const docker = await connectDocker();
      const result = await reapContainers(docker, { all: opts.all });
      process.stdout.write(`${JSON.stringify({ removed: result.removed.length, kept: result.kept, removedVolumes: result.removedVolumes.length })}\n`);
    });
}
