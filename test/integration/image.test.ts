import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import {
  buildDefaultImage,
  DEFAULT_IMAGE,
  dockerAssetsDir,
  IMAGE_ENV,
  IMAGE_WORKDIR,
  imageExists,
} from '../../src/image/index.js';

const docker = new Docker();

/** Runs a bash script in a fresh, network-less container of the image; returns exit code and output. */
async function runInImage(script: string): Promise<{ exitCode: number; output: string }> {
  const container = await docker.createContainer({
    Image: DEFAULT_IMAGE,
    Cmd: ['bash', '-lc', script],
    Labels: { 'hybrid-gym.test': 'image' },
    HostConfig: { NetworkMode: 'none', AutoRemove: false },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as Buffer;
    return { exitCode: StatusCode, output: demux(logs) };
  } finally {
    await container.remove({ force: true });
  }
}

/** Joins the frames of a non-TTY log stream (8-byte header: stream, 0, 0, 0, big-endian size). */
function demux(buffer: Buffer): string {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(at + 4);
    parts.push(buffer.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

const PROBE = String.raw`
echo "pwd=$(pwd)"
echo "bash=$BASH_VERSION"
echo "python=$(python --version 2>&1)"
echo "python3=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
echo "pytest=$(python3 -m pytest --version 2>&1)"
echo "pytest-bin=$(command -v pytest)"
echo "ps=$(ps -o comm= -p $$)"
echo "git=$(git --version)"
echo "git-name=$(git config user.name)"
echo "git-email=$(git config user.email)"
echo "git-safe=$(git config --get-all safe.directory)"
echo "lang=$LANG"
set -e
mkdir demo && cd demo && git init -q
printf 'def test_ok():\n    assert 1 + 1 == 2\n' > test_demo.py
git add -A && git commit -qm init
echo "branch=$(git rev-parse --abbrev-ref HEAD)"
echo "commits=$(git rev-list --count HEAD)"
echo "pytest-run=$(python -m pytest -q -p no:cacheprovider 2>&1 | tail -n 1)"
echo "pyc=$(find . -name '*.pyc' | wc -l)"
`;

function parse(output: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return fields;
}

describe('default sandbox image', () => {
  it('exists after buildDefaultImage()', { timeout: 20 * 60_000 }, async () => {
    const lines: string[] = [];
    const result = await buildDefaultImage({ onProgress: (line) => lines.push(line) });
    expect(result.tag).toBe(DEFAULT_IMAGE);
    expect(['cached', 'dockerfile', 'debootstrap']).toContain(result.method);
    // The last progress line says which way it went.
    expect(lines.at(-1)).toMatch(result.method === 'cached' ? /already present/ : /built with/);
    expect(await imageExists(docker, DEFAULT_IMAGE)).toBe(true);
    expect(await imageExists(docker, 'hybrid-gym/no-such-image:0')).toBe(false);
  });

  it('has the configuration sandboxes rely on', async () => {
    const info = await docker.getImage(DEFAULT_IMAGE).inspect();
    expect(info.Config.WorkingDir).toBe(IMAGE_WORKDIR);
    expect(info.Config.Cmd).toEqual(['bash']);
    for (const [key, value] of Object.entries(IMAGE_ENV)) expect(info.Config.Env).toContain(`${key}=${value}`);
  });

  it('runs bash, git, python 3.11, pytest and ps in /workspace with a git identity', async () => {
    const { exitCode, output } = await runInImage(PROBE);
    expect(exitCode, output).toBe(0);
    const f = parse(output);
    expect(f.pwd).toBe('/workspace');
    expect(f.bash).toMatch(/^5\./);
    expect(f.python).toMatch(/^Python 3\.11\./);
    expect(f.python3).toBe('3.11');
    expect(f.pytest).toMatch(/^pytest \d+\./);
    expect(f['pytest-bin']).not.toBe('');
    expect(f.ps).toBe('bash');
    expect(f.git).toMatch(/^git version 2\./);
    expect(f['git-name']).toBe('hybrid-gym');
    expect(f['git-email']).toBe('hybrid-gym@localhost');
    expect(f['git-safe']).toBe('*');
    expect(f.lang).toBe('C.UTF-8');
    expect(f.branch).toBe('main');
    expect(f.commits).toBe('1');
    expect(f['pytest-run']).toMatch(/1 passed/);
    expect(f.pyc).toBe('0');
  });

  it('keeps docker/Dockerfile in step with the offline recipe', async () => {
    const dockerfile = await readFile(path.join(dockerAssetsDir(), 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM python:3\.11-slim-bookworm$/m);
    expect(dockerfile).toMatch(new RegExp(`^WORKDIR ${IMAGE_WORKDIR}$`, 'm'));
    expect(dockerfile).toMatch(/^CMD \["bash"\]$/m);
    for (const [key, value] of Object.entries(IMAGE_ENV)) expect(dockerfile).toContain(`${key}=${value}`);
  });
});
