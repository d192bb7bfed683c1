import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild, ROOT } from '../support/run-cli.js';

// The published types must stand alone: a project that installs the packed tarball (and nothing of
// our devDependencies) type-checks without skipLibCheck, in ESM and CJS, under node16 and bundler
// resolution, and passes toolSchemas(...) to the official OpenAI and Anthropic SDKs without casts.

const exec = promisify(execFile);
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
let project = '';

async function devVersion(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; dependencies: Record<string, string> };
  return manifest.devDependencies[name] ?? manifest.dependencies[name]!;
}

beforeAll(async () => {
  requireBuild();
  project = await mkdtemp(join(tmpdir(), 'hybrid-gym-consumer-'));
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', project], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const { filename } = (JSON.parse(stdout) as Array<{ filename: string }>)[0]!;
  await cp(join(ROOT, 'test/consumer/fixture'), project, { recursive: true });
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'hybrid-gym-consumer',
      private: true,
      type: 'module',
      dependencies: {
        'hybrid-gym': `file:./${filename}`,
        openai: await devVersion('openai'),
        '@anthropic-ai/sdk': await devVersion('@anthropic-ai/sdk'),
        zod: await devVersion('zod'),
      },
    }),
  );
  // From the local cache where it can be; no install scripts (no native builds: types are all we need).
  await exec('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: project,
    timeout: 240_000,
  });
}, 300_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

async function tsc(config: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await exec(process.execPath, [TSC, '-p', config, '--pretty', 'false'], { cwd: project });
    return { code: 0, output: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

// Each check runs tsc without skipLibCheck over the SDKs' types: minutes on a busy 2-core machine.
describe('a consumer of the packed package', { timeout: 300_000 }, () => {
  it('has none of our devDependencies installed', async () => {
    const { stdout } = await exec('npm', ['ls', '--all', '--parseable'], { cwd: project }).catch((e: { stdout: string }) => e);
    for (const dev of ['@types/debug', '@types/tar-stream', '@types/cli-progress', 'tsup', 'vitest']) {
      expect(stdout).not.toContain(`/node_modules/${dev}\n`);
    }
  });

  it.each(['tsconfig.node16.json', 'tsconfig.bundler.json'])('type-checks with %s, skipLibCheck off', async (config) => {
    const r = await tsc(config);
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
  });

  it('fails to type-check a wrong use, so the check is real', async () => {
    await writeFile(join(project, 'src/wrong.mts'), "import { toolSchemas } from 'hybrid-gym';\nexport const n: number = toolSchemas('openai');\n");
    try {
      const r = await tsc('tsconfig.node16.json');
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(/wrong\.mts.*TS2322/);
    } finally {
      await rm(join(project, 'src/wrong.mts'));
    }
  });
});
