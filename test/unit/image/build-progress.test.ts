import { describe, expect, it } from 'vitest';
import { ImageBuildError } from '../../../src/errors.js';
import { DebootstrapProgress, type BuildStatus } from '../../../src/image/build-progress.js';
import { ensureOfflineBuildTools, type ToolHost } from '../../../src/image/prerequisites.js';

/** Debootstrap's output for a build of `n` packages, in its real order of phases. */
function debootstrapOutput(n: number): string[] {
  const pkgs = Array.from({ length: n }, (_, i) => `pkg${i}`);
  return [
    'I: Retrieving InRelease ',
    'I: Checking Release signature',
    'I: Retrieving Packages ',
    'I: Validating Packages ',
    'I: Resolving dependencies of required packages...',
    'I: Checking component main on http://deb.debian.org/debian...',
    ...pkgs.flatMap((p) => [`I: Retrieving ${p} 1.0-1`, `I: Validating ${p} 1.0-1`]),
    'I: Chosen extractor for .deb packages: dpkg-deb',
    ...pkgs.slice(0, 3).map((p) => `I: Extracting ${p}...`),
    'I: Installing core packages...',
    'I: Unpacking required packages...',
    ...pkgs.map((p) => `I: Unpacking ${p}...`),
    'I: Configuring required packages...',
    ...pkgs.map((p) => `I: Configuring ${p}...`),
    'I: Base system installed successfully.',
  ];
}

describe('DebootstrapProgress', () => {
  it('turns hundreds of lines into four status lines and package counts', () => {
    const lines: string[] = [];
    const statuses: BuildStatus[] = [];
    const progress = new DebootstrapProgress({ line: (l) => lines.push(l), status: (s) => statuses.push(s) });
    const output = debootstrapOutput(120);
    for (const l of output) progress.onLine(l);
    expect(output.length).toBeGreaterThan(480);
    expect(lines).toEqual([
      'debootstrap: downloading packages',
      'debootstrap: 120 packages downloaded; installing them',
      'debootstrap: base system installed',
    ]);
    expect(statuses.filter((s) => s.stage === 'download').at(-1)).toEqual({ stage: 'download', done: 120 });
    const install = statuses.filter((s) => s.stage === 'install');
    expect(install[0]).toEqual({ stage: 'install', done: 0, total: 240 });
    expect(install.at(-1)).toEqual({ stage: 'install', done: 240, total: 240 });
    expect(install.every((s, i) => i === 0 || s.done >= install[i - 1]!.done)).toBe(true);
  });

  it('passes errors and warnings through as lines', () => {
    const lines: string[] = [];
    const progress = new DebootstrapProgress({ line: (l) => lines.push(l), status: () => {} });
    progress.onLine('E: Couldn\'t download packages: python3');
    expect(lines).toEqual(["debootstrap: E: Couldn't download packages: python3"]);
  });
});

function fakeHost(over: Partial<ToolHost> & { installed?: Set<string>; aptWorks?: 'always' | 'after-update' | 'never' }): ToolHost & { calls: string[] } {
  const installed = over.installed ?? new Set(['tar', 'chroot', 'apt-get']);
  const calls: string[] = [];
  let updated = false;
  return {
    platform: 'linux',
    isRoot: true,
    isDebianLike: true,
    has: async (c) => installed.has(c),
    run: async (command, args) => {
      calls.push([command, ...args].join(' '));
      if (args[0] === 'update') {
        updated = true;
        return;
      }
      const works = over.aptWorks ?? 'always';
      if (works === 'never' || (works === 'after-update' && !updated)) throw new Error('E: Unable to locate package debootstrap');
      installed.add('debootstrap');
    },
    ...over,
    calls,
  };
}

describe('ensureOfflineBuildTools', () => {
  const quiet = { install: true, onProgress: () => {} };

  it('does nothing when every tool is there', async () => {
    const host = fakeHost({ installed: new Set(['debootstrap', 'tar', 'chroot', 'apt-get']) });
    await ensureOfflineBuildTools(quiet, host);
    expect(host.calls).toEqual([]);
  });

  it('installs a missing debootstrap with apt-get as root on Debian, saying so', async () => {
    const host = fakeHost({});
    const lines: string[] = [];
    await ensureOfflineBuildTools({ install: true, onProgress: (l) => lines.push(l) }, host);
    expect(host.calls).toEqual(['apt-get install -y -qq --no-install-recommends debootstrap']);
    expect(lines).toEqual(['prerequisites: installing debootstrap with apt-get', 'prerequisites: debootstrap installed']);
  });

  it('refreshes the package lists once when the first install fails (a fresh machine)', async () => {
    const host = fakeHost({ aptWorks: 'after-update' });
    await ensureOfflineBuildTools(quiet, host);
    expect(host.calls).toEqual([
      'apt-get install -y -qq --no-install-recommends debootstrap',
      'apt-get update -qq',
      'apt-get install -y -qq --no-install-recommends debootstrap',
    ]);
  });

  it.each([
    ['installing is turned off', { install: false }, {}, /needs `debootstrap`, which is not installed \(Debian\/Ubuntu: `apt-get install -y debootstrap`\)/],
    ['the system is not Debian-like', {}, { isDebianLike: false }, /needs `debootstrap`, which is not installed/],
    ['apt-get fails', {}, { aptWorks: 'never' as const }, /Installing debootstrap with apt-get failed .*Unable to locate package/],
    ['not root', {}, { isRoot: false }, /must run as root/],
    ['not Linux', {}, { platform: 'darwin' as const }, /only runs on Linux/],
  ])('throws an ImageBuildError that says what to do when %s', async (_, options, host, message) => {
    const run = ensureOfflineBuildTools({ ...quiet, ...options }, fakeHost(host));
    await expect(run).rejects.toBeInstanceOf(ImageBuildError);
    await expect(run).rejects.toThrow(message);
  });
});
