import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import createDebug from 'debug';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { ImageBuildError } from '../errors.js';
import { DEBIAN_SUITE } from './debian-mirror.js';
import { IMAGE_ENV, IMAGE_WORKDIR } from './default-image.js';
import { eventLines, followEngineStream, splitTag } from './engine-stream.js';
import { buildLog, DebootstrapProgress, type BuildStatus } from './build-progress.js';
import { ensureOfflineBuildTools } from './prerequisites.js';
import { abortError, runLogged } from './run-logged.js';

const debug = createDebug('hybrid-gym:image');

/** Debian packages of the offline image, on top of debootstrap's minbase (which has coreutils). */
export const DEBOOTSTRAP_PACKAGES: readonly string[] = [
  'bash',
  'ca-certificates',
  'git',
  'procps',
  'python3',
  'python3-pytest',
];

const POLICY_RC_D = 'usr/sbin/policy-rc.d';
const DPKG_UNSAFE_IO = 'etc/dpkg/dpkg.cfg.d/00-hybrid-gym-build';
const PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface DebootstrapBuildOptions {
  docker: Docker;
  tag: string;
  mirror: string;
  /** docker/setup.sh: the configuration shared with the Dockerfile. */
  setupScript: string;
  /** A few status lines (the full log goes to DEBUG=hybrid-gym:image:log). */
  onProgress: (line: string) => void;
  /** Package counts, for a progress bar. */
  onStatus?: ((status: BuildStatus) => void) | undefined;
  /** Install debootstrap with apt-get when it is missing (root on Debian-like systems). @default true */
  installPrerequisites?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Debian packages beyond DEBOOTSTRAP_PACKAGES (an image per repository). */
  extraPackages?: readonly string[] | undefined;
  /** Shell run in the chroot after the setup (pip installs), with the host's network. */
  extraScript?: string | undefined;
  /** Image labels (the recipe of an image per repository). */
  labels?: Readonly<Record<string, string>> | undefined;
}

/**
 * Builds the image without any registry: debootstrap a minimal bookworm, run the shared setup in a
 * chroot, then stream the tree into `docker import`. Needs root (debootstrap chowns and chroots).
 */
export async function buildWithDebootstrap(options: DebootstrapBuildOptions): Promise<void> {
  const { onProgress, signal } = options;
  const onStatus = options.onStatus ?? (() => {});
  await ensureOfflineBuildTools({ install: options.installPrerequisites ?? true, onProgress });
  const debootstrapProgress = new DebootstrapProgress({ line: onProgress, status: onStatus });
  const root = await mkdtemp(path.join(tmpdir(), 'hybrid-gym-rootfs-'));
  debug('rootfs in %s', root);
  const packages = [...new Set([...DEBOOTSTRAP_PACKAGES, ...(options.extraPackages ?? [])])];
  try {
    await prepareTarget(root);
    onProgress(`debootstrap: ${DEBIAN_SUITE} (minbase + ${packages.join(', ')}) from ${options.mirror}`);
    await runLogged(
      'debootstrap',
      'debootstrap',
      [
        '--variant=minbase',
        `--include=${packages.join(',')}`,
        '--components=main',
        DEBIAN_SUITE,
        root,
        options.mirror,
      ],
      { onLine: (line) => debootstrapProgress.onLine(line), signal },
    );
    onProgress('setup: configuring the image (docker/setup.sh in a chroot)');
    let setupLines = 0;
    await runLogged('setup', 'chroot', [root, '/bin/sh', '-s'], {
      onLine: (line) => {
        buildLog('setup: %s', line);
        onStatus({ stage: 'setup', done: ++setupLines });
      },
      signal,
      inputFile: options.setupScript,
      env: { PATH: PATH_ENV, HOME: '/root', ...IMAGE_ENV },
    });
    if (options.extraScript) {
      onProgress('setup: the image\'s own steps (pip) in the chroot');
      await runLogged('setup (pip)', 'chroot', [root, '/bin/sh', '-ec', options.extraScript], {
        onLine: (line) => buildLog('setup: %s', line),
        signal,
        env: { PATH: PATH_ENV, HOME: '/root', ...IMAGE_ENV },
      });
    }
    await finishRootfs(root);
    await importRootfs(options, root);
  } finally {
    await removeRootfs(root);
  }
}

/** `docker import` changes: what a Dockerfile would set after FROM. */
export function importChanges(labels: Readonly<Record<string, string>> = {}): string[] {
  return [
    `ENV PATH=${PATH_ENV}`,
    ...Object.entries(IMAGE_ENV).map(([k, v]) => `ENV ${k}=${v}`),
    `WORKDIR ${IMAGE_WORKDIR}`,
    'CMD ["bash"]',
    ...Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`),
  ];
}

/** Removes what belongs to the build host, not the image; the engine provides /dev and /etc/hosts at run time. */
async function finishRootfs(root: string): Promise<void> {
  // Never recurse into anything still mounted from the host.
  await unmountUnder(root);
  for (const file of [POLICY_RC_D, DPKG_UNSAFE_IO]) await rm(path.join(root, file), { force: true });
  await rm(path.join(root, 'dev'), { recursive: true, force: true });
  await execa('mkdir', ['-m', '755', path.join(root, 'dev')]);
  for (const file of ['etc/resolv.conf', 'etc/hosts']) await rm(path.join(root, file), { force: true });
  await writeFile(path.join(root, 'etc/hostname'), 'sandbox\n');
  if (!existsSync(path.join(root, IMAGE_WORKDIR))) {
    throw new ImageBuildError(`The setup step did not create ${IMAGE_WORKDIR} in the image.`);
  }
}

async function importRootfs(options: DebootstrapBuildOptions, root: string): Promise<void> {
  const { docker, tag, onProgress, signal } = options;
  onProgress(`import: docker import of the root file system as ${tag}`);
  const tar = execa('tar', ['--numeric-owner', '--xattrs', '-C', root, '-c', '.'], {
    stdout: 'pipe',
    buffer: { stdout: false, stderr: true },
    cancelSignal: signal,
  });
  const { repo, tag: version } = splitTag(tag);
  try {
    const response = await docker.importImage(tar.stdout, {
      repo,
      tag: version,
      changes: importChanges(options.labels),
      abortSignal: signal,
    } as object);
    let events = 0;
    const all = await followEngineStream(docker, response, 'docker import', (event) => {
      for (const line of eventLines(event)) buildLog('import: %s', line);
      options.onStatus?.({ stage: 'import', done: ++events });
    });
    await tar;
    debug('imported %s: %o', tag, all.at(-1));
  } catch (error) {
    tar.kill();
    await tar.catch(() => undefined);
    if (signal?.aborted) throw abortError(signal, error);
    if (error instanceof ImageBuildError) throw error;
    throw new ImageBuildError(`docker import of ${tag} failed: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Files placed before debootstrap, removed by finishRootfs. Maintainer scripts run in the chroot
 * with the host's /proc: a policy-rc.d that refuses every service start keeps them (procps'
 * sysctl, hwclock) from touching the host. dpkg's fsyncs only slow a throwaway tree down.
 */
async function prepareTarget(root: string): Promise<void> {
  await mkdir(path.join(root, path.dirname(POLICY_RC_D)), { recursive: true });
  await writeFile(path.join(root, POLICY_RC_D), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  await mkdir(path.join(root, path.dirname(DPKG_UNSAFE_IO)), { recursive: true });
  await writeFile(path.join(root, DPKG_UNSAFE_IO), 'force-unsafe-io\n');
}

/** Removes the temporary tree, first detaching anything debootstrap left mounted in it (proc, sys). */
async function removeRootfs(root: string): Promise<void> {
  try {
    await unmountUnder(root);
    await rm(root, { recursive: true, force: true });
    debug('removed %s', root);
  } catch (error) {
    debug('could not remove %s: %o', root, error);
  }
}

async function unmountUnder(root: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => m !== undefined && (m === root || m.startsWith(`${root}/`)))
    .sort((a, b) => b.length - a.length);
  for (const mount of mounts) {
    debug('unmounting %s', mount);
    await execa('umount', ['-l', mount], { reject: false });
  }
}
