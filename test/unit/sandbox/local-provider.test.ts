import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalProvider } from '../../../src/sandbox/local/local-provider.js';
import type { Sandbox } from '../../../src/sandbox/types.js';

describe('local sandbox', () => {
  let provider: LocalProvider;
  let sandbox: Sandbox;

  beforeAll(async () => {
    provider = await LocalProvider.start();
    sandbox = await provider.create();
  });
  afterAll(async () => {
    await provider?.close();
  });

  it('starts in its own temporary workdir and keeps cwd and variables', async () => {
    expect((await sandbox.exec('pwd')).output).toBe(`${sandbox.workdir}\n`);
    await sandbox.exec('mkdir sub && cd sub && export X=1');
    expect((await sandbox.exec('basename "$(pwd)"; echo $X')).output).toBe('sub\n1\n');
  });

  it('times out like the docker sandbox and recovers', async () => {
    const r = await sandbox.exec('sleep 600', { timeoutMs: 500 });
    expect(r).toMatchObject({ timedOut: true, exitCode: 130 });
    expect((await sandbox.exec('echo ok')).output).toBe('ok\n');
  });

  it('writes and reads files', async () => {
    await sandbox.writeFiles([{ path: 'd/f.txt', content: 'x' }]);
    expect((await sandbox.readFile('d/f.txt')).toString()).toBe('x');
    expect((await sandbox.exec(`ls -A ${sandbox.workdir}/d`)).output).toBe('f.txt\n');
  });

  it('removes its directory on close', async () => {
    const s = await provider.create();
    const dir = s.workdir;
    await s.close();
    await s.close();
    expect(existsSync(dir)).toBe(false);
  });
});
