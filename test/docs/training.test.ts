import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readEpisodeFile } from '../../src/rollout/episode-file.js';
import type { Episode } from '../../src/rollout/run-episode.js';
import { funcLocalizeTask } from '../../src/tasks/func-localize/index.js';
import { parseTextToolCalls } from '../../src/tools/parse.js';
import { dockerReady } from '../integration/helpers.js';
import { oracleTeacher } from '../support/oracle-teacher.js';
import { CLI, requireBuild, ROOT } from '../support/run-cli.js';
import { startScriptedLlm } from '../support/scripted-llm-server.js';
import { extractBlocks } from './doc-blocks.js';

const SHOP = fileURLToPath(new URL('../fixtures/func-localize/shop', import.meta.url));

// docs/training.md's loop, run as written: generate, a teacher (a scripted server on 127.0.0.1
// answering with the oracle's actions stands in for vLLM), rejection sampling, export.
describe.runIf(dockerReady())('docs/training.md', () => {
  const work = mkdtempSync(join(tmpdir(), 'hg-training-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('runs the whole loop of the page as it is written, and its SFT lines are what it says', async () => {
    requireBuild();
    const [block, ...more] = extractBlocks(ROOT, join(ROOT, 'docs/training.md')).filter((b) => b.flags.includes('training'));
    expect(block, 'docs/training.md has one ```sh training block').toBeDefined();
    expect(more).toHaveLength(0);
    cpSync(SHOP, join(work, 'myrepo'), { recursive: true });
    // `hybrid-gym` on PATH is the built command line, as after `npm install -g`.
    writeFileSync(join(work, 'hybrid-gym'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(join(work, 'hybrid-gym'), 0o755);
    let n = 0;
    const llm = await startScriptedLlm(oracleTeacher(funcLocalizeTask, join(work, 'instances.jsonl'), { format: 'function-calling', logprobs: true }));
    try {
      const { stdout, stderr } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', block!.code], {
        cwd: work,
        env: { ...process.env, PATH: `${work}:${process.env.PATH}`, BASE_URL: llm.url, NO_COLOR: '1' },
        timeout: 400_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
      n = 2 * readFileSync(join(work, 'instances.jsonl'), 'utf8').trim().split('\n').length;
      expect(n).toBeGreaterThanOrEqual(8);
      expect(summary).toMatchObject({ episodes: n, meanReward: 1, errors: 0, agentErrors: 0 });
      expect(stderr).toContain(`exported ${n} of ${n} episodes`);
    } finally {
      await llm.close();
    }
    const episodes = readEpisodeFile(join(work, 'teacher.jsonl')).episodes as Episode[];
    expect(episodes).toHaveLength(n);
    expect(episodes.every((e) => e.turns?.[0]?.logprobs?.tokenIds?.length === 2)).toBe(true);
    const sft = readFileSync(join(work, 'sft.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { messages: Array<{ role: string; content: string }> });
    expect(sft).toHaveLength(n);
    for (const [i, line] of sft.entries()) {
      expect(line.messages[0]!.role).toBe('system');
      expect(line.messages[0]!.content).toMatch(/BEGIN FUNCTION #1: execute_bash/);
      expect(line.messages[1]).toEqual({ role: 'user', content: episodes[i]!.prompt });
      const calls = line.messages.filter((m) => m.role === 'assistant').map((m) => parseTextToolCalls(m.content));
      expect(calls.map((c) => (c.ok ? c.actions.map((a) => a.tool) : c.error)).flat()).toEqual(episodes[i]!.steps.map((s) => s.action.tool));
      expect(line.messages.filter((m) => m.role === 'user').slice(1).every((m) => m.content.startsWith('EXECUTION RESULT of ['))).toBe(true);
    }
  });
});
