import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dockerReady } from './helpers.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

describe.runIf(dockerReady())('the README demo', () => {
  it('shows a prompt and rewards 1 for the oracle and 0 for the no-op agent', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'demo', '--n', '2'], { maxBuffer: 16 * 1024 * 1024 });
    expect(stdout).toContain('| ## Description');
    // Real code that is not in the image: a Debian package fetched with apt-get download, none of whose docstrings the image holds.
    expect(stdout).toMatch(/^\d+ instances from \S+\/python3-toolz\/\S+toolz \(none of their docstrings is in the image hybrid-gym\/sandbox:/m);
    expect(stdout).toMatch(/^oracle rewards 1 1 .*"meanReward":1,/m);
    expect(stdout).toMatch(/^noop {3}rewards 0 0 .*"meanReward":0,/m);
  });
});
