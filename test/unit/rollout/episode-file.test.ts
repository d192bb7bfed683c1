import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { appendEpisode, readEpisodeFile } from '../../../src/rollout/episode-file.js';
import type { Episode } from '../../../src/rollout/run-episode.js';

const episode = (id: string): Episode => ({
  envId: 'hybrid-gym/func-localize-v0',
  instanceId: id,
  agent: 'noop',
  prompt: 'p',
  steps: [{ action: { tool: 'finish', input: { message: 'x' } }, observation: { text: 'Finished: x', isError: false, tool: 'finish' }, reward: 0 }],
  reward: 0,
  success: false,
  terminated: true,
  truncated: false,
  info: { instanceId: id, step: 1, elapsedMs: 3 },
  durationMs: 9,
});

describe('episode files', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hg-episodes-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads back what was appended, failed episodes included', () => {
    const path = join(dir, 'a.jsonl');
    appendEpisode(path, episode('a'));
    appendEpisode(path, { instanceId: 'b', error: { code: 'SANDBOX', message: 'engine gone' } });
    expect(readEpisodeFile(path)).toEqual({ episodes: [episode('a'), { instanceId: 'b', error: { code: 'SANDBOX', message: 'engine gone' } }], droppedPartial: false });
    expect(readEpisodeFile(join(dir, 'none.jsonl'))).toEqual({ episodes: [], droppedPartial: false });
  });

  it('writes nothing that would not read back: a record with a bad field is refused, naming it', async () => {
    const path = join(dir, 'refused.jsonl');
    appendEpisode(path, episode('a'));
    const bad = { ...episode('b'), turns: [{ content: 'x', toolCalls: [{ id: 1, name: 'bash', arguments: {} }], timing: { startedAt: 't', latencyMs: 1, attempts: 1 } }] };
    expect(() => appendEpisode(path, bad as never)).toThrow(/episode b \(not written to .*\): turns\.0\.toolCalls\.0\.id/);
    expect(readEpisodeFile(path).episodes).toHaveLength(1);
  });

  it('drops the cut last line of a killed run, and cuts it from the file when asked', async () => {
    const path = join(dir, 'cut.jsonl');
    const whole = `${JSON.stringify(episode('a'))}\n`;
    await writeFile(path, whole + JSON.stringify(episode('b')).slice(0, 40));
    expect(readEpisodeFile(path)).toMatchObject({ episodes: [{ instanceId: 'a' }], droppedPartial: true });
    readEpisodeFile(path, { repair: true });
    expect(await readFile(path, 'utf8')).toBe(whole);
  });

  it('names every bad line by number and field', async () => {
    const path = join(dir, 'bad.jsonl');
    await writeFile(path, `${JSON.stringify(episode('a'))}\nnot json\n${JSON.stringify({ ...episode('c'), reward: 'high' })}\n`);
    const err = (() => {
      try {
        readEpisodeFile(path);
      } catch (e) {
        return e;
      }
    })() as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.issues.map((i) => i.path)).toEqual(['line 2', 'line 3']);
    expect(err.issues[1]!.message).toContain('reward');
  });

  it('says in one line that an instances file is not an episodes file, instead of every missing field', async () => {
    const path = join(dir, 'instances.jsonl');
    const instance = { id: 'func-localize-x-1', task: 'func-localize', repo: { path: '/r', name: 'r' }, seed: 0, targets: [] };
    await writeFile(path, `${JSON.stringify(instance)}\n${JSON.stringify({ ...instance, id: 'func-localize-x-2' })}\n`);
    let err: ValidationError | undefined;
    try {
      readEpisodeFile(path);
    } catch (e) {
      err = e as ValidationError;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect(err!.issues).toEqual([{ path: 'line 1', message: expect.stringMatching(/an instance of task "func-localize", not an episode: this looks like an instances file/) }]);
  });
});
