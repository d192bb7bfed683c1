import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxError } from '../../src/errors.js';
import { DockerProvider } from '../../src/sandbox/docker/docker-provider.js';
import { dockerReady } from './helpers.js';

describe.runIf(dockerReady())('docker sandbox: resource limits', () => {
  let provider: DockerProvider;

  beforeAll(async () => {
    provider = await DockerProvider.start({ memoryBytes: 256 * 1024 ** 2, pidsLimit: 64 });
  });
  afterAll(async () => {
    await provider?.close();
  });

  it('keeps no log: what root writes to PID 1’s output goes nowhere, never onto the host’s disk', async () => {
    const s = await provider.create();
    expect((await s.exec('head -c 1M /dev/zero > /proc/1/fd/1; echo "rc=$?"')).output).toContain('rc=0');
    const info = await (s as unknown as { container: { inspect(): Promise<{ HostConfig: { LogConfig: { Type: string } }; LogPath: string }> } }).container.inspect();
    expect(info.HostConfig.LogConfig.Type).toBe('none');
    expect(info.LogPath).toBe('');
    await s.close();
  });

  it('contains a memory hog and reports it, and the sandbox keeps working', async () => {
    const s = await provider.create();
    const r = await s.exec(`python3 -c "a=[]\nwhile True: a.append(bytearray(10**7))"`, { timeoutMs: 60_000 });
    expect(r.exitCode).toBe(137);
    expect(r.notice).toMatch(/memory limit/);
    expect((await s.exec('echo alive')).output).toBe('alive\n');
    await s.close();
  });

  it('contains a fork bomb and reports it, as the agent\'s doing; the provider keeps working', async () => {
    const s = await provider.create();
    // A bomb that keeps forking, so the quota stays full (`:(){ :|:& };:` can die out before a probe sees it).
    await s.exec('b() { while :; do b & done; }; b &', { timeoutMs: 5_000 });
    // From then on starting a process fails. Either a command says so, or, when not even a new shell
    // can start, the sandbox's error does: both name the process limit, and the container still runs.
    let report: string | undefined;
    for (let i = 0; i < 20 && !report; i++) {
      try {
        report = (await s.exec('ls /proc | grep -c "^[0-9]"', { timeoutMs: 5_000 })).notice;
      } catch (err) {
        expect(err).toBeInstanceOf(SandboxError);
        report = (err as Error).message;
        expect(report).not.toMatch(/gone/);
        expect(report.length).toBeLessThan(1_000);
      }
    }
    expect(report).toMatch(/process limit/);
    expect(await s.isAlive()).toBe(true);
    // The bomb stays inside its own pids cgroup: a new sandbox starts and works.
    const other = await provider.create();
    expect((await other.exec('echo fine')).output).toBe('fine\n');
    await Promise.all([s.close(), other.close()]);
  });

  it('applies the configured limits to the container', async () => {
    const s = await provider.create();
    const info = await provider.docker.getContainer(s.id).inspect();
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(info.HostConfig.Memory).toBe(256 * 1024 ** 2);
    expect(info.HostConfig.PidsLimit).toBe(64);
    expect(info.HostConfig.NanoCpus).toBe(1e9);
    expect(info.Config.Labels['hybrid-gym.pid']).toBe(String(process.pid));
    await s.close();
  });
});
