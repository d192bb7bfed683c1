import type { Command } from 'commander';
import { buildDefaultImage } from '../../image/build-image.js';
import { DEFAULT_IMAGE } from '../../image/default-image.js';
import { makeProgress } from '../progress.js';

export function registerImage(program: Command): void {
  const image = program.command('image').description('the default sandbox image');
  image
    .command('build')
    .description('build the default image (Dockerfile where a registry answers, else offline with debootstrap)')
    .option('--tag <tag>', 'image tag', DEFAULT_IMAGE)
    .option('--method <method>', 'auto | dockerfile | debootstrap', 'auto')
    .option('--force', 'rebuild even when the tag exists', false)
    .action(async (opts: { tag: string; method: 'auto' | 'dockerfile' | 'debootstrap'; force: boolean }) => {
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
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
