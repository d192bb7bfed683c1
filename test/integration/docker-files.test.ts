import { mkdtemp, mkdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerProvider } from '../../src/sandbox/docker/docker-provider.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { dockerReady } from './helpers.js';

const BINARY = Uint8Array.from({ length: 256 }, (_, i) => i);
const UNICODE = 'données/ünïcödé 名前.txt';

describe.runIf(dockerReady())('docker sandbox: files', () => {
  let provider: DockerProvider;
  let sandbox: Sandbox;
  let host: string;

  beforeAll(async () => {
    provider = await DockerProvider.start();
    sandbox = await provider.create();
    host = await mkdtemp(join(tmpdir(), 'hg-files-'));
  });
  afterAll(async () => {
    await provider?.close();
    await rm(host, { recursive: true, force: true });
  });

  it('writes and reads binary files and unicode names', async () => {
    await sandbox.writeFiles([
      { path: 'bin/all-bytes', content: BINARY },
      { path: UNICODE, content: 'ça marche ✓\n' },
      { path: '/tmp/run.sh', content: '#!/bin/sh\necho ran\n', mode: 0o755 },
    ]);
    expect(new Uint8Array(await sandbox.readFile('bin/all-bytes'))).toEqual(BINARY);
    expect((await sandbox.readFile(`/workspace/${UNICODE}`)).toString()).toBe('ça marche ✓\n');
    expect((await sandbox.exec('/tmp/run.sh')).output).toBe('ran\n');
    expect((await sandbox.exec(`cat "${UNICODE}"`)).output).toBe('ça marche ✓\n');
  });

  it('round-trips a host directory in and out (binary, unicode, symlinks, modes)', async () => {
    const src = join(host, 'src');
    await mkdir(join(src, 'pkg', 'sub'), { recursive: true });
    await writeFile(join(src, 'pkg', 'sub', 'blob.bin'), BINARY);
    await writeFile(join(src, 'pkg', 'ü 名.py'), 'print("hi")\n');
    await writeFile(join(src, 'tool.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await symlink('pkg/ü 名.py', join(src, 'link.py'));
    await sandbox.copyIn(src, '/workspace/repo');
    expect((await sandbox.exec('cd /workspace/repo && python3 link.py && test -x tool.sh && echo x')).output).toBe('hi\nx\n');

    const out = join(host, 'out');
    await sandbox.copyOut('/workspace/repo', out);
    expect(new Uint8Array(await readFile(join(out, 'repo', 'pkg', 'sub', 'blob.bin')))).toEqual(BINARY);
    expect(await readFile(join(out, 'repo', 'pkg', 'ü 名.py'), 'utf8')).toBe('print("hi")\n');
    expect(await readlink(join(out, 'repo', 'link.py'))).toBe('pkg/ü 名.py');
  });

  it('moves small files through the idle shell and large ones through the engine, with the same result', async () => {
    const small = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
    const large = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256));
    await sandbox.writeFiles([{ path: 'sizes/small.bin', content: small }]);
    await sandbox.writeFiles([{ path: 'sizes/large.bin', content: large, mode: 0o600 }]);
    expect(Buffer.compare(await sandbox.readFile('sizes/small.bin'), small)).toBe(0);
    expect(Buffer.compare(await sandbox.readFile('sizes/large.bin'), large)).toBe(0);
    expect((await sandbox.exec('stat -c %a /workspace/sizes/large.bin /workspace/sizes/small.bin')).output).toBe('600\n644\n');
    // While the agent's command runs, file transfers do not touch its shell.
    await sandbox.exec('sleep 5', { idleMs: 100 });
    await sandbox.writeFiles([{ path: 'sizes/busy.txt', content: 'while busy' }]);
    expect((await sandbox.readFile('sizes/busy.txt')).toString()).toBe('while busy');
    expect((await sandbox.sendKey('C-c')).exitCode).toBe(130);
  });

  it('names the path when a file is missing', async () => {
    await expect(sandbox.readFile('/nope/missing.txt')).rejects.toThrow(/missing\.txt/);
  });
});
