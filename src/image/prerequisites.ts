import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { ImageBuildError } from '../errors.js';
import { buildLog } from './build-progress.js';

/** How the offline build checks and installs its tools; replaced in tests. */
export interface ToolHost {
  platform: NodeJS.Platform;
  isRoot: boolean;
  /** Whether a command is on PATH. */
  has: (command: string) => Promise<boolean>;
  /** Runs a command (apt-get) to completion, its output going to the build log; rejects on failure. */
  run: (command: string, args: readonly string[]) => Promise<void>;
  isDebianLike: boolean;
}

export const systemHost = (): ToolHost => ({
  platform: process.platform,
  isRoot: process.getuid?.() === 0,
  has: async (command) => (await execa('sh', ['-c', `command -v ${command}`], { reject: false })).exitCode === 0,
  run: async (command, args) => {
    const log = function* (line: unknown) {
      buildLog('%s: %s', command, String(line));
    };
    await execa(command, args, {
      stdin: 'ignore',
      stdout: log,
      stderr: log,
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    });
  },
  isDebianLike: existsSync('/etc/debian_version'),
});

/** Debian packages that provide each tool of the offline build. */
const PACKAGE_OF: Record<string, string> = { debootstrap: 'debootstrap', tar: 'tar', chroot: 'coreutils' };

/**
 * Makes sure the offline build can run: Linux, root, and debootstrap, tar and chroot on PATH. A
 * missing tool is installed with apt-get when allowed, as root on a Debian-like system (as
 * scripts/ensure-docker.sh installs Docker); anything else is an {@link ImageBuildError} that
 * says what to do.
 */
export async function ensureOfflineBuildTools(
  options: { install: boolean; onProgress: (line: string) => void },
  host: ToolHost = systemHost(),
): Promise<void> {
  if (host.platform !== 'linux') {
    throw new ImageBuildError(
      'The offline image build (debootstrap) only runs on Linux. Build from docker/Dockerfile instead ' +
        "(method 'dockerfile'), which needs access to a registry with python:3.11-slim-bookworm.",
    );
  }
  if (!host.isRoot) {
    throw new ImageBuildError(
      'The offline image build (debootstrap) must run as root. Run it once with sudo ' +
        '(`sudo npx hybrid-gym image build`), or build from docker/Dockerfile where a registry is ' +
        "reachable (`hybrid-gym image build --method dockerfile`, or method 'dockerfile').",
    );
  }
  const missing: string[] = [];
  for (const tool of Object.keys(PACKAGE_OF)) if (!(await host.has(tool))) missing.push(tool);
  if (missing.length === 0) return;

  const packages = [...new Set(missing.map((t) => PACKAGE_OF[t]!))];
  const hint = `Debian/Ubuntu: \`apt-get install -y ${packages.join(' ')}\``;
  if (!options.install || !host.isDebianLike || !(await host.has('apt-get'))) {
    throw new ImageBuildError(
      `The offline image build needs ${missing.map((t) => `\`${t}\``).join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed (${hint}).`,
    );
  }
  options.onProgress(`prerequisites: installing ${packages.join(', ')} with apt-get`);
  const install = () => host.run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages]);
  try {
    await install();
  } catch {
    // A fresh machine's package lists may be empty or stale: refresh them once.
    try {
      await host.run('apt-get', ['update', '-qq']);
      await install();
    } catch (error) {
      throw new ImageBuildError(`Installing ${packages.join(', ')} with apt-get failed (${hint}): ${(error as Error).message.split('\n')[0]}`, {
        cause: error,
      });
    }
  }
  for (const tool of missing) {
    if (!(await host.has(tool))) throw new ImageBuildError(`apt-get installed ${packages.join(', ')}, but \`${tool}\` is still not on PATH.`);
  }
  options.onProgress(`prerequisites: ${packages.join(', ')} installed`);
}
