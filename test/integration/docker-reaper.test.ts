import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DockerProvider } from '../../src/sandbox/docker/docker-provider.js';
import { dockerReady } from './helpers.js';

const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

// A separate process that takes 3 sandboxes and waits to be killed.
const holder = `
const { DockerProvider } = await import(${JSON.stringify(dist)});
const p = await DockerProvider.start();
for (let i = 0; i < 3; i++) await p.create();
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`;

describe.runIf(dockerReady())('the reaper', () => {
  it('removes the sandboxes of a process killed with SIGKILL, and the volumes it left, when the next provider starts', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', holder], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    expect(line.toString()).toBe('ready\n');
    const pid = String(child.pid);

    const probe = await DockerProvider.start();
    const mine = async () =>
      (await probe.docker.listContainers({ all: true, filters: { label: [`hybrid-gym.pid=${pid}`] } })).length;
    expect(await mine()).toBe(3);
    // Each holds its workdir's tmpfs volume, which goes with it.
    const listed = await probe.docker.listContainers({ all: true, filters: { label: [`hybrid-gym.pid=${pid}`] } });
    const volumes = listed.flatMap((c) => c.Mounts.filter((m) => m.Type === 'volume').map((m) => m.Name!));
    expect(volumes).toHaveLength(3);

    // A volume left unused by a container removed from outside without it (no -v): the probe's
    // own (its owner runs: kept) and one of the killed process's (its owner gone: reaped).
    const own = await probe.create();
    const ownVolume = (await own.container.inspect()).Mounts.find((m) => m.Type === 'volume')!.Name!;
    await own.container.remove({ force: true });
    await probe.docker.getContainer(listed[0]!.Id).remove({ force: true });

    child.kill('SIGKILL');
    await once(child, 'exit');
    // The owner is dead but nothing has reaped yet.
    expect(await mine()).toBe(2);
    await expect(probe.docker.getVolume(volumes[0]!).inspect()).resolves.toBeDefined();

    const next = await DockerProvider.start();
    expect(await mine()).toBe(0);
    for (const name of volumes) {
      await expect(probe.docker.getVolume(name).inspect()).rejects.toMatchObject({ statusCode: 404 });
    }
    await expect(probe.docker.getVolume(ownVolume).inspect()).resolves.toBeDefined();
    await Promise.all([probe.close(), next.close()]);
    await expect(probe.docker.getVolume(ownVolume).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
