import { describe, expect, it } from 'vitest';
import type { DockerSandbox } from '../../src/sandbox/docker/docker-sandbox.js';
import { installWorkspace, readWorkspace, readsFromHost } from '../../src/workspace/sandbox-workspace.js';
import type { WorkspaceFiles } from '../../src/workspace/files.js';
import { blockProvider, dockerReady, withProvider } from './helpers.js';

const files = (): WorkspaceFiles =>
  new Map([
    ['README.md', Buffer.from('# repo\n')],
    ['pkg/a.py', Buffer.from('def a():\n    pass\n')],
  ]);

const volumesOf = async (s: DockerSandbox): Promise<string[]> =>
  ((await s.container.inspect()).Mounts ?? []).filter((m) => m.Type === 'volume').map((m) => m.Name!);

describe.runIf(dockerReady())('the workdir is a tmpfs of its own container', () => {
  const provider = blockProvider();

  it('is a tmpfs without devices or set-uid files, and nothing of the workspace reaches the container’s layer', async () => {
    const s = (await provider().create()) as DockerSandbox;
    await installWorkspace(s, files());
    expect(readsFromHost(s)).toBe(true);
    expect((await s.exec(`stat -f -c %T ${s.workdir}`)).output.trim()).toBe('tmpfs');
    const options = (await s.exec(`awk '$2 == "${s.workdir}" { print $4 }' /proc/mounts`)).output;
    expect(options).toMatch(/nosuid/);
    expect(options).toMatch(/nodev/);
    // A hard link cannot reach a file outside: the workdir is a file system of its own.
    expect((await s.exec(`ln /etc/passwd ${s.workdir}/passwd 2>&1`)).output).toMatch(/cross-device/i);
    await s.exec('echo changed > pkg/a.py && echo new > new.py && python3 -c "import pkg" ; ls');
    // The engine answers `null` (as a Buffer) for no change at all.
    const raw = (await s.container.changes()) as unknown;
    const changes = ((Buffer.isBuffer(raw) ? JSON.parse(raw.toString()) : raw) ?? []) as Array<{ Path: string }>;
    expect(changes.filter((c) => c.Path === s.workdir || c.Path.startsWith(`${s.workdir}/`))).toEqual([]);
    const final = await readWorkspace(s);
    expect(final.get('pkg/a.py')?.toString()).toBe('changed\n');
    expect(final.get('new.py')?.toString()).toBe('new\n');
    await s.close();
  });

  it.each([
    { how: 'closed', end: async (_s: DockerSandbox) => {} },
    // Removed from outside without its volume (no `-v`): the volume goes at close().
    { how: 'removed from outside without it', end: (s: DockerSandbox) => s.container.remove({ force: true }) },
  ])('goes with its container, $how: no volume is left behind', async ({ end }) => {
    const s = (await provider().create()) as DockerSandbox;
    await installWorkspace(s, files());
    const volumes = await volumesOf(s);
    expect(volumes).toHaveLength(1);
    await end(s);
    await expect(provider().docker.getVolume(volumes[0]!).inspect()).resolves.toBeDefined();
    await s.close();
    await expect(provider().docker.getVolume(volumes[0]!).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('a full tmpfs is the agent’s disk filling up: the command fails, the shell and the final read go on', async () => {
    await withProvider({ workspaceTmpfsBytes: 4 * 1024 * 1024 }, async (small) => {
      const s = (await small.create()) as DockerSandbox;
      await installWorkspace(s, files());
      const r = await s.exec('head -c 8M /dev/zero > big.bin; echo "rc=$?"');
      expect(r.output).toMatch(/No space left on device/);
      expect(r.output).toContain('rc=1');
      expect(await s.isAlive()).toBe(true);
      expect((await s.exec('rm big.bin && echo ok')).output.trim()).toBe('ok');
      expect((await readWorkspace(s)).get('README.md')?.toString()).toBe('# repo\n');
    });
  });

  it('is held from the install on: once its container stopped, what was there is still read, never an empty workspace', async () => {
    const s = (await provider().create()) as DockerSandbox;
    await installWorkspace(s, files());
    await s.exec('echo changed > pkg/a.py');
    await s.container.kill();
    await s.container.wait();
    const final = await readWorkspace(s);
    expect(final.get('pkg/a.py')?.toString()).toBe('changed\n');
    expect(final.get('README.md')?.toString()).toBe('# repo\n');
    await s.close();
  });

  it('is named gone, never read as empty, when its container stopped before this process held it', async () => {
    const s = (await provider().create()) as DockerSandbox;
    await s.container.kill();
    await s.container.wait();
    await expect(s.archiveOut(s.workdir)).rejects.toMatchObject({ name: 'SandboxError', message: expect.stringMatching(/tmpfs/) });
    await s.close();
  });

  it('a workdir spelled with a trailing slash is the same mount: the agent’s edits are what is read', async () => {
    await withProvider({ workdir: '/workspace/' }, async (p) => {
      const s = (await p.create()) as DockerSandbox;
      await installWorkspace(s, files());
      expect((await s.exec('cat /workspace/pkg/a.py && echo changed > /workspace/pkg/a.py')).output).toContain('def a()');
      expect((await readWorkspace(s)).get('pkg/a.py')?.toString()).toBe('changed\n');
    });
  });

  it('with workspaceTmpfsBytes 0 the workdir stays in the container’s layer, installed and read as before', async () => {
    await withProvider({ workspaceTmpfsBytes: 0 }, async (layered) => {
      const s = (await layered.create()) as DockerSandbox;
      expect(await volumesOf(s)).toEqual([]);
      await installWorkspace(s, files());
      expect((await s.exec(`stat -f -c %T ${s.workdir}`)).output.trim()).not.toBe('tmpfs');
      await s.exec('echo changed > pkg/a.py');
      expect((await readWorkspace(s)).get('pkg/a.py')?.toString()).toBe('changed\n');
      // Deleted (it is no mount there): named missing, without the engine's 'no such container'.
      await s.exec(`cd / && rm -rf ${s.workdir}`);
      const deleted = await readWorkspace(s).catch((e: Error) => e);
      expect(deleted).toMatchObject({ name: "WorkspaceError", reason: "missing" });
      expect((deleted as Error).message).toBe(`The workspace ${s.workdir} is missing: it was deleted`);
    });
  });
});
