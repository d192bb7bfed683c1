import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';

// The examples import the package by its own name, so they run against dist/ exactly as a user's
// code would; `npm test` builds it first.
const root = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  // A nested vitest must not think it is a worker of this one.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, env: { ...base, NO_COLOR: '1', ...env }, timeout: 150_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const explain = (r: Run): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

describe('examples', () => {
  beforeAll(() => {
    if (!existsSync(`${root}/dist/index.js`)) throw new Error('dist/ is missing: run `npm run build` first');
  });

  it('quickstart.mjs solves its task on the local sandbox', { timeout: 120_000 }, async () => {
    const r = await run(['examples/quickstart.mjs'], { HYBRID_GYM_SANDBOX: 'local' });
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toMatch(/^#1 bash /m);
    expect(r.stdout).toMatch(/^#\d+ finish /m);
    expect(r.stdout).toMatch(/^reward 1 \(terminated=true, truncated=false\)$/m);
  });

  it.runIf(inject('docker'))('quickstart.mjs solves its task in Docker', { timeout: 120_000 }, async () => {
    const r = await run(['examples/quickstart.mjs'], { HYBRID_GYM_SANDBOX: 'docker' });
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain('/workspace/test_calc.py');
    expect(r.stdout).toMatch(/^reward 1 \(terminated=true, truncated=false\)$/m);
  });

  it('unit-testing-an-agent.test.mjs passes under its own vitest config', { timeout: 150_000 }, async () => {
    const r = await run(['node_modules/vitest/vitest.mjs', 'run', '--config', 'examples/vitest.config.mjs', '--reporter=json']);
    expect(r.code, explain(r)).toBe(0);
    const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as {
      numPassedTests: number;
      numFailedTests: number;
      testResults: Array<{ name: string }>;
    };
    expect(report.testResults.map((t) => t.name.replace(/\\/g, '/'))).toEqual([
      expect.stringMatching(/examples\/unit-testing-an-agent\.test\.mjs$/),
    ]);
    expect(report.numFailedTests).toBe(0);
    expect(report.numPassedTests).toBeGreaterThanOrEqual(7);
  });
});
