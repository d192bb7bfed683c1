import { Option, type Command } from 'commander';
import { nonEmpty, oneOf } from '../args.js';
import { buildDefaultImage } from '../../image/build-image.js';
import { DEFAULT_IMAGE } from '../../image/default-image.js';
import { makeProgress } from '../progress.js';

const METHODS = ['auto', 'dockerfile', 'debootstrap'] as const;

export function registerImage(program: Command): void {
  const image = program.command('image').description('the default sandbox image');
  image
    .command('build')
    .description('build the default image (Dockerfile where a registry answers, else offline with debootstrap)')
    .option('--tag <tag>', 'image tag', nonEmpty, DEFAULT_IMAGE)
    .addOption(new Option('--method <method>', `${METHODS.join(' | ')}`).argParser(oneOf(METHODS)).default('auto'))
    .option('--force', 'rebuild even when the tag exists', false)
    .action(async (opts: { tag: string; method: 'auto' | 'dockerfile' | 'debootstrap'; force: boolean }) => {
      const controller = new AbortController();
      // Both stop the build and remove its temporary tree (debootstrap runs in its own process group).
      process.once('SIGINT', () => controller.abort());
      process.once('SIGTERM', () => controller.abort());
      const result = await buildDefaultImage({
        tag: opts.tag,
        method: opts.method,
        force: opts.force,
        signal: controller.signal,
        onProgress: makeProgress(true),
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });
}
