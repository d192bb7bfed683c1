/**
 * Installing a ~300-file workspace into a fresh container, the workdir a tmpfs volume (the default)
 * beside the workdir in the container's own layer (`workspaceTmpfsBytes: 0`), in turn in one run:
 * the time of `installWorkspace` and of the final read after a one-line edit, each container
 * removed before the next is made (as a rollout does; on a non-journaled ext4, every removal makes
 * the next create of files in an overlay slower).
 *
 * Run (nothing here runs TypeScript directly; esbuild comes with tsup):
 *   npx esbuild bench/workspace-install.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=.cache/bench/install.mjs && node .cache/bench/install.mjs [--repo DIR] [--rounds 20]
 * Without --repo: the episodes bench's ~300 files of the system Python's standard library. Needs a
 * running Docker engine and the default image. Prints a line per variant, then a JSON summary.
 */
import { stdlibBenchRepo } from '../src/bench/episode-bench.js';
import { median, round3 } from '../src/bench/stats.js';
import { DockerProvider } from '../src/sandbox/docker/docker-provider.js';
import { loadRepoFiles } from '../src/workspace/files.js';
import { installWorkspace, readsFromHost, readWorkspace } from '../src/workspace/sandbox-workspace.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const repo = arg('--repo') ?? stdlibBenchRepo();
const rounds = Number(arg('--rounds') ?? 20);
const files = await loadRepoFiles(repo);
const first = [...files.keys()].find((p) => p.endsWith('.py'))!;

const variants = [
  { name: 'tmpfs volume', provider: await DockerProvider.start() },
  { name: 'container layer', provider: await DockerProvider.start({ workspaceTmpfsBytes: 0 }) },
];
const times = variants.map(() => ({ install: [] as number[], read: [] as number[], fromHost: true }));
try {
  // One round installs into one container of each variant in turn; the first round warms up.
  for (let r = 0; r <= rounds; r++) {
    for (const [k, v] of variants.entries()) {
      const s = await v.provider.create();
      try {
        let t = performance.now();
        await installWorkspace(s, files);
        const install = performance.now() - t;
        times[k]!.fromHost &&= readsFromHost(s);
        await s.exec(`echo '# edited' >> ${first}`);
        t = performance.now();
        await readWorkspace(s);
        if (r > 0) {
          times[k]!.install.push(install);
          times[k]!.read.push(performance.now() - t);
        }
      } finally {
        await s.close();
      }
    }
  }
} finally {
  await Promise.all(variants.map((v) => v.provider.close()));
}

const summary = {
  repo,
  files: files.size,
  rounds,
  variants: variants.map((v, k) => ({
    name: v.name,
    installMedianMs: round3(median(times[k]!.install)),
    installMaxMs: round3(Math.max(...times[k]!.install)),
    readMedianMs: round3(median(times[k]!.read)),
    readFromHost: times[k]!.fromHost,
  })),
};
for (const v of summary.variants) {
  process.stdout.write(`${v.name}: install ${v.installMedianMs} ms median (max ${v.installMaxMs}), final read ${v.readMedianMs} ms median${v.readFromHost ? '' : ' (through the engine)'}\n`);
}
process.stdout.write(`${JSON.stringify(summary)}\n`);
