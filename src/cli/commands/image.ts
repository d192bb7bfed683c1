import { Option, type Command } from 'commander';
import { nonEmpty, oneOf } from '../args.js';
import { buildImage } from '../../image/repo-image.js';
import { DEFAULT_IMAGE } from '../../image/default-image.js';
import { hostManifest, imageManifest, manifestPath } from '../../image/manifest.js';
import { buildProgressView } from '../build-progress-view.js';
import { makeProgress } from '../progress.js';

const METHODS = ['auto', 'dockerfile', 'debootstrap'] as const;

/** Collects a repeatable option's values. */
const collect = (value: string, previous: string[] = []): string[] => [...previous, nonEmpty(value)];

export function registerImage(program: Command): void {
  const image = program.command('image').description('sandbox images: the default one, images per repository, their manifests');
  image
    .command('build')
    .description(
      'build the default image, or with --apt/--pip an image per repository tagged by content (Dockerfile where a registry answers, else offline with debootstrap), ' +
        'then record its manifest; prints the tag on stdout. The full log with DEBUG=hybrid-gym*',
    )
    .option('--apt <pkg>', 'a Debian (bookworm) package to add, e.g. python3-six (repeatable)', collect)
    .option('--pip <req>', 'a pip requirement to add (repeatable; needs a reachable package index at build time)', collect)
    .option('--tag <tag>', `image tag (default: ${DEFAULT_IMAGE}, or ${DEFAULT_IMAGE}-<hash of the recipe> with --apt/--pip)`, nonEmpty)
    .addOption(new Option('--method <method>', `${METHODS.join(' | ')}`).argParser(oneOf(METHODS)).default('auto'))
    .option('--force', 'rebuild even when the tag exists', false)
    .option('--no-install', 'never install missing tools (debootstrap) with apt-get; by default root on Debian does')
    .option('--json', 'print {"tag","method","durationMs","recipe","manifest"} instead of the tag', false)
    .action(
      async (opts: { apt?: string[]; pip?: string[]; tag?: string; method: (typeof METHODS)[number]; force: boolean; install: boolean; json: boolean }) => {
        const controller = new AbortController();
        // Both stop the build and remove its temporary tree (debootstrap runs in its own process group).
        process.once('SIGINT', () => controller.abort());
        process.once('SIGTERM', () => controller.abort());
        const view = buildProgressView();
        try {
          const result = await buildImage({
            apt: opts.apt ?? [],
            pip: opts.pip ?? [],
            ...(opts.tag ? { tag: opts.tag } : {}),
            method: opts.method,
            force: opts.force,
            installPrerequisites: opts.install,
            signal: controller.signal,
            onProgress: view.line,
            onStatus: view.status,
          });
          process.stdout.write(`${opts.json ? JSON.stringify(result) : result.tag}\n`);
        } finally {
          view.stop();
        }
      },
    );

  image
    .command('manifest')
    .description('record (or read from the cache) the manifest of an image: its source files and docstring hashes; prints a summary')
    .argument('[image]', `the image (tag or id), yours or ours; "host" for the local sandbox's host Python`, DEFAULT_IMAGE)
    .option('--rebuild', 'walk the image again even when a manifest is cached', false)
    .action(async (name: string, opts: { rebuild: boolean }) => {
      const say = makeProgress();
      const manifest = name === 'host' ? await hostManifest({ rebuild: opts.rebuild, onProgress: say }) : await imageManifest(name, { rebuild: opts.rebuild, onProgress: say });
      const definitions = manifest.files.reduce((n, f) => n + (f.defs?.length ?? 0), 0);
      const summary = {
        image: manifest.image,
        imageId: manifest.imageId,
        python: manifest.python,
        files: manifest.files.length,
        definitions,
        durationMs: manifest.durationMs,
        path: manifestPath(manifest.imageId),
      };
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    });
}
