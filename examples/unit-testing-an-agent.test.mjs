// Unit-testing an agent with vitest: the agent's decisions alone, then whole episodes in a small
// env on the `local` sandbox (no container engine needed).
// Run after `npm run build`:   npx vitest run --config examples/vitest.config.mjs
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BaseInstanceSchema, defineTask, make, replayEpisode, runEpisode } from 'hybrid-gym';
import { checkEnv, NoopAgent, ScriptedAgent } from 'hybrid-gym/testing';

// --- The code under test: an agent that reads the prompt and writes the file it asks for. ---------

/** @implements {import('hybrid-gym').Agent} */
export class FileWriterAgent {
  name = 'file-writer';

  /** The goal parsed from the prompt (AgentContext does not carry the prompt, so keep it). */
  goal = null;

  /** @param {import('hybrid-gym').Observation} observation @param {import('hybrid-gym').AgentContext} ctx */
  act(observation, { step, history }) {
    if (step === 0) {
      const m = /Create the file (\S+) containing exactly (".*")\.$/m.exec(observation.text);
      this.goal = m ? { path: m[1], content: JSON.parse(m[2]) } : null;
    }
    if (!this.goal) return { tool: 'finish', input: { message: 'I do not understand the task' } };
    const { path, content } = this.goal;
    const last = history.at(-1);
    if (!last) return { tool: 'str_replace_editor', input: { command: 'create', path, file_text: content } };
    // The editor never overwrites: when the file exists, write it with the shell instead.
    if (last.action.tool === 'str_replace_editor' && last.result.observation.isError) {
      return { tool: 'bash', input: { command: `printf %s ${shellQuote(content)} > ${shellQuote(path)}` } };
    }
    return { tool: 'finish', input: { message: `wrote ${path}` } };
  }
}
const shellQuote = (s) => `'${s.replaceAll("'", `'\\''`)}'`;

// --- A small task to run it against. -------------------------------------------------------------

const Instance = BaseInstanceSchema.extend({ path: z.string(), content: z.string(), preexisting: z.boolean() });
const writeFile = defineTask({
  name: 'write-file',
  version: 0,
  namespace: 'example',
  instanceSchema: Instance,
  workspace: async (i) =>
    new Map([['README.md', Buffer.from('# demo\n')], ...(i.preexisting ? [[i.path, Buffer.from('old\n')]] : [])]),
  prompt: (i, ctx) => `Create the file ${ctx.workdir}/${i.path} containing exactly ${JSON.stringify(i.content)}.`,
  verify: (i, files) => {
    const found = files.get(i.path)?.toString() ?? null;
    return { reward: found === i.content ? 1 : 0, success: found === i.content, details: { found } };
  },
  oracle: (i, ctx) => [{ tool: 'bash', input: { command: `mkdir -p "$(dirname ${i.path})" && printf %s ${shellQuote(i.content)} > ${i.path}` } }],
});
const base = { task: 'write-file', repo: { path: '.', name: 'demo' }, seed: 0 };
const instances = [
  { ...base, id: 'new-file', path: 'out/hello.txt', content: "it's done\n", preexisting: false },
  { ...base, id: 'existing-file', path: 'notes.txt', content: 'new\n', preexisting: true },
];

// --- Tests. --------------------------------------------------------------------------------------

describe('FileWriterAgent, decision by decision (no env)', () => {
  const info = { envId: 'example/write-file-v0', instanceId: 'x', workdir: '/workspace' };
  const prompt = { text: 'Create the file /workspace/a/b.txt containing exactly "hi\\n".', isError: false };

  it('creates the file with the editor as its first action', () => {
    const action = new FileWriterAgent().act(prompt, { step: 0, info, history: [] });
    expect(action).toEqual({ tool: 'str_replace_editor', input: { command: 'create', path: '/workspace/a/b.txt', file_text: 'hi\n' } });
  });

  it('falls back to bash when the editor refuses', () => {
    const agent = new FileWriterAgent();
    const first = agent.act(prompt, { step: 0, info, history: [] });
    const refused = { observation: { text: 'File already exists at: /workspace/a/b.txt', isError: true }, reward: 0, terminated: false, truncated: false, info: { instanceId: 'x', step: 1, elapsedMs: 1 } };
    const second = agent.act(refused.observation, { step: 1, info, history: [{ action: first, result: refused }] });
    expect(second).toMatchObject({ tool: 'bash' });
  });

  it('gives up cleanly on a prompt it does not understand', () => {
    expect(new FileWriterAgent().act({ text: 'Refactor everything.', isError: false }, { step: 0, info, history: [] })).toMatchObject({ tool: 'finish' });
  });
});

describe('FileWriterAgent in an env', () => {
  /** @type {import('hybrid-gym').Env} */
  let env;
  beforeAll(async () => {
    // warm: 0 reuses one sandbox, so its temporary workdir (which the prompt names) is the same
    // on every reset, as checkEnv's same-seed check expects. In Docker it is always /workspace.
    env = await make(writeFile, { instances, sandbox: 'local', maxSteps: 5, warm: 0 });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('runs against an env that passes checkEnv', async () => {
    const passed = await checkEnv(env);
    expect(passed).toContain('finish terminates with a finite reward in [0, 1]');
  });

  it.each(['new-file', 'existing-file'])('solves %s: it finishes, with reward 1', async (instanceId) => {
    const episode = await runEpisode(env, new FileWriterAgent(), { options: { instanceId } });
    expect(episode).toMatchObject({ reward: 1, success: true, terminated: true, truncated: false });
    expect(episode.steps.at(-1)?.action.tool).toBe('finish');
  });

  it('replays a recorded episode without an env: the agent, fed its observations, acts the same', async () => {
    const recorded = await runEpisode(env, new FileWriterAgent(), { options: { instanceId: 'existing-file' } });
    // A trajectory from `run --out` (readEpisodeFile) replays the same way; an LLM agent takes
    // `fetch: replayFetch(recorded)` to get its recorded model replies too.
    const { actions, mismatch } = await replayEpisode(new FileWriterAgent(), recorded);
    expect(mismatch).toBeUndefined();
    expect(actions.map((a) => a.tool)).toEqual(['str_replace_editor', 'bash', 'finish']);
    // `new ReplayAgent(recorded)` replays the actions in an env instead: in Docker, where the
    // workdir is /workspace in every episode (the local sandbox's temporary folder is not).
  });

  it('earns its reward: scripted wrong answers and a no-op score 0', async () => {
    const wrong = new ScriptedAgent([{ tool: 'bash', input: { command: 'mkdir -p out && echo nope > out/hello.txt' } }]);
    expect((await runEpisode(env, wrong, { options: { instanceId: 'new-file' } })).reward).toBe(0);
    expect((await runEpisode(env, new NoopAgent(), { options: { instanceId: 'existing-file' } })).reward).toBe(0);
  });
});
