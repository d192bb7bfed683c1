import { Option, type Command } from 'commander';
import { nonEmpty, oneOf } from '../args.js';
import { buildDefaultImage } from '../../image/build-image.js';
import { DEFAULT_IMAGE } from '../../image/default-image.js';
import { buildProgressView } from '../build-progress-view.js';

const METHODS = ['auto', 'dockerfile', 'debootstrap'] as const;

export function registerImage(program: Command): void {
  const image = program.command('image').description('the default sandbox image');
  image
    .command('build')
    .description('build the default image (Dockerfile where a registry answers, else offline with debootstrap); the full log with DEBUG=hybrid-gym*')
    .option('--tag <tag>', 'image tag', nonEmpty, DEFAULT_IMAGE)
    .addOption(new Option('--method <method>', `${METHODS.join(' | ')}`).argParser(oneOf(METHODS)).default('auto'))
    .option('--force', 'rebuild even when the tag exists', false)
    .option('--no-install', 'never install missing tools (debootstrap) with apt-get; by default root on Debian does')
    .action(async (opts: { tag: string; method: 'auto' | 'dockerfile' | 'debootstrap'; force: boolean; install: boolean }) => {
      const controller = new AbortController();
      // Both stop the build and remove its temporary tree (debootstrap runs in its own process group).
      process.once('SIGINT', () => controller.abort());
      process.once('SIGTERM', () => controller.abort());
      const view = buildProgressView();
      try {
        const result = await buildDefaultImage({
          tag: opts.tag,
          method: opts.method,
          force: opts.force,
          installPrerequisites: opts.install,
          signal: controller.signal,
          onProgress: view.line,
          onStatus: view.status,
        });
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } finally {
        view.stop();
      }
    });
}
