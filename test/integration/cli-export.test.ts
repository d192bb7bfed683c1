import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EpisodeRecord } from '../../src/rollout/rollout.js';
import type { Episode } from '../../src/rollout/run-episode.js';
import { explain, requireBuild, runCli } from '../support/run-cli.js';

// `hybrid-gym export`: the lines, the counts on stderr, the filters, and its misuse (one line on
// stderr, nothing on stdout). No container engine needed.

let tmp = '';
const T = (p: string): string => join(tmp, p);

const ok = (text: string) => ({ text, isError: false });
const episode = (id: string, reward: number, steps: number, extra: Partial<Episode> = {}): Episode => ({
  envId: 'hybrid-gym/func-localize-v0',
  instanceId: id,
  agent: 'oracle',
  prompt: `task ${id}`,
  steps: [
    ...Array.from({ length: steps - 1 }, (_, i) => ({ action: { tool: 'bash', input: { command: `echo ${i}` } }, observation: ok(`${i}`), reward: 0 })),
    { action: { tool: 'finish', input: { message: 'done' } }, observation: ok('Finished'), reward },
  ],
  reward,
  success: reward === 1,
  terminated: true,
  truncated: false,
  info: { instanceId: id, step: steps, elapsedMs: 1 },
  durationMs: 2,
  ...extra,
});

const records: EpisodeRecord[] = [
  episode('good', 1, 2),
  episode('long', 1, 6),
  episode('low', 0, 2),
  { instanceId: 'nostart', error: { code: 'SANDBOX', message: 'engine gone' } },
  episode('infra', 0, 1, { info: { instanceId: 'infra', step: 1, elapsedMs: 1, infraError: { code: 'SANDBOX', message: 'container died' } } }),
];
const jsonl = (rs: readonly unknown[]): string => rs.map((r) => `${JSON.stringify(r)}\n`).join('');

beforeAll(async () => {
  requireBuild();
  tmp = await mkdtemp(join(tmpdir(), 'hybrid-gym-cli-export-'));
  await writeFile(T('traj.jsonl'), jsonl(records));
  await writeFile(T('broken.jsonl'), `${JSON.stringify(records[0])}\n{"envId": 1}\n`);
  await writeFile(T('not-json.jsonl'), `${JSON.stringify(records[0])}\nnot json\n`);
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const lines = (stdout: string): Array<Record<string, unknown>> =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('hybrid-gym export', () => {
  it.each(['openai', 'openhands', 'sharegpt'])('--format %s: one line per scored episode, the counts on stderr', async (format) => {
    const r = await runCli(['export', T('traj.jsonl'), '--format', format]);
    expect(r.code, explain(r)).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(3);
    expect(Object.keys(out[0]!)).toEqual(format === 'openai' ? ['messages', 'tools'] : format === 'openhands' ? ['messages'] : ['conversations', 'system', 'tools']);
    expect(r.stderr).toBe(`hybrid-gym: export ${format}: exported 3 of 5 episodes; left out: 1 could not start, 1 infrastructure failure\n`);
  });

  it('--min-reward and --max-turns leave out more, each counted', async () => {
    const r = await runCli(['export', T('traj.jsonl'), '--format', 'openai', '--min-reward', '0.5', '--max-turns', '3']);
    expect(r.code, explain(r)).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(1);
    expect(out[0]!.messages).toContainEqual({ role: 'user', content: 'task good' });
    expect(r.stderr).toBe('hybrid-gym: export openai: exported 1 of 5 episodes; left out: 1 could not start, 1 infrastructure failure, 1 below min reward, 1 over max turns\n');
  });

  it('--out writes the same bytes as stdout, and a second run gives the same bytes again', async () => {
    const a = await runCli(['export', T('traj.jsonl'), '--format', 'sharegpt']);
    const b = await runCli(['export', T('traj.jsonl'), '--format', 'sharegpt', '--out', T('out.jsonl')]);
    expect(b.code, explain(b)).toBe(0);
    expect(b.stdout).toBe('');
    expect(b.stderr).toMatch(/exported 3 of 5 episodes.* -> .*out\.jsonl\n$/);
    expect(await readFile(T('out.jsonl'), 'utf8')).toBe(a.stdout);
    const c = await runCli(['export', T('traj.jsonl'), '--format', 'sharegpt']);
    expect(c.stdout).toBe(a.stdout);
  });

  type Case = [name: string, args: () => string[], message: RegExp, code?: number];
  const cases: Case[] = [
    ['no file', () => ['export', '--format', 'openai'], /missing required argument 'trajectories'/],
    ['no --format', () => ['export', T('traj.jsonl')], /required option '--format <format>' not specified/],
    ['an unknown --format', () => ['export', T('traj.jsonl'), '--format', 'alpaca'], /--format alpaca: expected one of: openai, hf, openhands, sharegpt/],
    ['a file that does not exist', () => ['export', T('nope.jsonl'), '--format', 'openai'], /<trajectories> .*nope\.jsonl: no such file/],
    ['a directory as the file', () => ['export', tmp, '--format', 'openai'], /<trajectories> .*: not a file/],
    ['--min-reward that is no number', () => ['export', T('traj.jsonl'), '--format', 'openai', '--min-reward', 'high'], /--min-reward high: expected a number/],
    ['--max-turns 0', () => ['export', T('traj.jsonl'), '--format', 'openai', '--max-turns', '0'], /--max-turns 0: expected a whole number >= 1/],
    ['--max-turns 2.5', () => ['export', T('traj.jsonl'), '--format', 'openai', '--max-turns', '2.5'], /--max-turns 2\.5: expected a whole number >= 1/],
    ['--out in a folder that does not exist', () => ['export', T('traj.jsonl'), '--format', 'openai', '--out', T('no/such/out.jsonl')], /--out .*: the folder .* does not exist/],
    ['--out a directory', () => ['export', T('traj.jsonl'), '--format', 'openai', '--out', tmp], /--out .*: it is a directory/],
    ['a line that is not an episode', () => ['export', T('broken.jsonl'), '--format', 'openai'], /broken\.jsonl: line 2: envId/, 1],
    ['a line that is not JSON', () => ['export', T('not-json.jsonl'), '--format', 'openhands'], /not-json\.jsonl: line 2: not JSON/, 1],
  ];

  it.each(cases)('%s: one line on stderr, nothing on stdout', async (_name, args, message, code = 2) => {
    const r = await runCli(args());
    expect(r.code, explain(r)).toBe(code);
    expect(r.stdout, explain(r)).toBe('');
    const errLines = r.stderr.trimEnd().split('\n');
    expect(errLines, explain(r)).toHaveLength(1);
    expect(errLines[0]).toMatch(/^hybrid-gym: /);
    expect(errLines[0]).toMatch(message);
  });
});
