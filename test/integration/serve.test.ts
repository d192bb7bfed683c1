import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { z } from 'zod';
import { connectDocker } from '../../src/sandbox/docker/docker-client.js';
import { make, register } from '../../src/env/registry.js';
import { ValidationError } from '../../src/errors.js';
import { serve, type EnvServer } from '../../src/serve/server.js';
import { BaseInstanceSchema, defineTask } from '../../src/tasks/define-task.js';
import { dockerReady } from './helpers.js';

// A task small enough that the tests measure the server: the answer is "42" in answer.txt.
const answerTask = defineTask({
  name: 'answer',
  version: 0,
  namespace: 'serve-test',
  instanceSchema: BaseInstanceSchema.extend({ expected: z.string() }),
  workspace: async () => new Map([['README.md', Buffer.from('write the answer into answer.txt\n')]]),
  prompt: () => 'Write the answer into answer.txt, then finish.',
  verify: (instance, files) => {
    const ok = files.get('answer.txt')?.toString().trim() === instance.expected;
    return { reward: ok ? 1 : 0, success: ok, details: { ok } };
  },
  oracle: (instance) => [{ tool: 'bash', input: { command: `echo ${instance.expected} > answer.txt` } }, { tool: 'finish', input: { message: 'done' } }],
});
const instances = ['a', 'b'].map((id) => ({ id: `answer-${id}`, task: 'answer', repo: { path: '.', name: 'answer' }, seed: 0, expected: '42' }));

type Reply = { type: string; data: Record<string, any> };

/** A client that sends a message and reads the next reply; closes are recorded. */
class Client {
  readonly ws: WebSocket;
  private replies: Reply[] = [];
  private waiting: Array<(r: Reply) => void> = [];
  closed: Promise<{ code: number; reason: string }>;
  opened: Promise<void>;

  constructor(url: string, options?: WebSocket.ClientOptions) {
    this.ws = new WebSocket(url, options);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (d) => {
      const r = JSON.parse(d.toString()) as Reply;
      const w = this.waiting.shift();
      if (w) w(r);
      else this.replies.push(r);
    });
  }

  next(): Promise<Reply> {
    const r = this.replies.shift();
    return r ? Promise.resolve(r) : new Promise((resolve) => this.waiting.push(resolve));
  }

  async send(message: unknown): Promise<Reply> {
    await this.opened;
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
    return this.next();
  }
}

const step = (command: string, extra: Record<string, unknown> = {}) => ({ type: 'step', data: { tool: 'bash', input: { command, ...extra } } });

describe.skipIf(!dockerReady())('serve (OpenEnv WebSocket protocol, real Docker)', () => {
  const label = `serve-test-${randomUUID()}`;
  let server: EnvServer;
  const running = async () => (await (await connectDocker()).listContainers({ filters: { label: [`${label}=1`] } })).length;

  beforeAll(async () => {
    server = await serve({ env: answerTask, instances, port: 0, maxSessions: 3, idleTimeoutSeconds: 30, maxMessageBytes: 4096, sandboxOptions: { labels: { [label]: '1' } } });
  });
  afterAll(async () => {
    await server?.close();
  });
  // A session's slot is free once its sandboxes are closed, a little after its connection.
  afterEach(async () => {
    await expect.poll(() => server.activeSessions(), { timeout: 10_000 }).toBe(0);
  });

  it('runs an episode to the verifier\'s reward: reset, steps, finish, state', async () => {
    const c = new Client(server.wsUrl);
    const reset = await c.send({ type: 'reset', data: { episode_id: 'ep-1', options: { instanceId: 'answer-b', nextInstanceId: 'answer-a' } } });
    expect(reset).toMatchObject({ type: 'observation', data: { reward: null, done: false, observation: { text: expect.stringContaining('answer.txt'), isError: false }, metadata: { episode_id: 'ep-1', info: { instanceId: 'answer-b' } } } });
    const wrote = await c.send(step('echo 42 > answer.txt && cat answer.txt'));
    expect(wrote.data).toMatchObject({ reward: 0, done: false, observation: { text: expect.stringContaining('42'), exitCode: 0, tool: 'bash' } });
    // The agent's mistake is an observation that counts as a step, not a protocol error.
    const typo = await c.send({ type: 'step', data: { tool: 'bsh', input: { command: 'ls' } } });
    expect(typo.data.observation).toMatchObject({ isError: true, text: expect.stringContaining('Did you mean `bash`') });
    const end = await c.send({ type: 'step', data: { tool: 'finish', input: { message: 'done' }, callId: 'call-9' } });
    expect(end.data).toMatchObject({ reward: 1, done: true, observation: { callId: 'call-9' }, metadata: { terminated: true, truncated: false, info: { verify: { success: true, details: { ok: true } } } } });
    expect((await c.send({ type: 'state' })).data).toMatchObject({ episode_id: 'ep-1', step_count: 3, instance_id: 'answer-b', done: true, terminated: true, reward: 1 });
    const after = await c.send(step('ls'));
    expect(after.data).toMatchObject({ code: 'EXECUTION_ERROR', error_code: 'ENV_ORDER' });
    // A reset that fails has ended the episode all the same: the state says there is none.
    expect((await c.send({ type: 'reset', data: { options: { instanceId: 'answer-nope' } } })).data.code).toBe('VALIDATION_ERROR');
    expect((await c.send({ type: 'state' })).data).toMatchObject({ episode_id: null, step_count: 0, done: false });
    expect((await c.send({ type: 'reset', data: { options: { nextInstanceId: 'answer-nope' } } })).data).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringContaining('nextInstanceId') });
    // Another episode on the same connection starts in a fresh sandbox: the one prepared for it while the first ran.
    const again = await c.send({ type: 'reset', data: { options: { instanceId: 'answer-a' } } });
    expect(again.data.metadata.episode_id).not.toBe('ep-1');
    expect(again.data.metadata.info).toMatchObject({ instanceId: 'answer-a', preparedAhead: true });
    expect((await c.send(step('cat answer.txt'))).data.observation.exitCode).not.toBe(0);
    c.ws.send(JSON.stringify({ type: 'close' }));
    expect((await c.closed).code).toBe(1000);
  });

  it('answers bad messages with an error and keeps the session', async () => {
    const c = new Client(server.wsUrl);
    expect((await c.send('{nope')).data.code).toBe('INVALID_JSON');
    expect((await c.send({ type: 'stepp' })).data.code).toBe('UNKNOWN_TYPE');
    expect((await c.send({ type: 'step', data: 'ls' })).data.code).toBe('VALIDATION_ERROR');
    expect((await c.send({ type: 'reset', data: { options: { instanceId: 'answer-z' } } })).data).toMatchObject({ code: 'VALIDATION_ERROR', error_code: 'INSTANCE_NOT_FOUND' });
    expect((await c.send(step('ls'))).data).toMatchObject({ code: 'EXECUTION_ERROR', error_code: 'ENV_ORDER' });
    await c.opened;
    c.ws.send(Buffer.from('{"type":"state"}'), { binary: true });
    expect((await c.next()).data.code).toBe('INVALID_JSON');
    // Over the cap: answered, not read; the session lives on.
    const big = await c.send({ type: 'step', data: { tool: 'think', input: { thought: 'x'.repeat(5000) } } });
    expect(big.data).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringContaining('over the cap of 4096 bytes') });
    expect((await c.send({ type: 'reset', data: {} })).type).toBe('observation');
    expect((await c.send(step('echo alive'))).data.observation.text).toContain('alive');
    // Four times the cap closes the connection (1009, message too big) before it is held in memory.
    c.ws.send(JSON.stringify({ type: 'state', data: { pad: 'x'.repeat(20_000) } }));
    expect((await c.closed).code).toBe(1009);
  });

  it('replies to pipelined messages one each, in order', async () => {
    const c = new Client(server.wsUrl);
    await c.opened;
    const sent = [{ type: 'reset', data: { options: { instanceId: 'answer-a' } } }, step('echo one'), { type: 'state' }, step('echo two'), { type: 'state' }];
    for (const m of sent) c.ws.send(JSON.stringify(m));
    const replies = await Promise.all(sent.map(() => c.next()));
    expect(replies.map((r) => r.type)).toEqual(['observation', 'observation', 'state', 'observation', 'state']);
    expect(replies[1]!.data.observation.text).toContain('one');
    expect(replies[3]!.data.observation.text).toContain('two');
    expect([replies[2]!.data.step_count, replies[4]!.data.step_count]).toEqual([1, 2]);
    c.ws.close();
    await c.closed;
  });

  it('keeps sessions apart: what one writes, another on the same instance does not see', async () => {
    const [a, b] = [new Client(server.wsUrl), new Client(server.wsUrl)];
    await Promise.all([a, b].map((c) => c.send({ type: 'reset', data: { options: { instanceId: 'answer-a' } } })));
    await a.send(step('echo secret > /tmp/planted && echo 42 > answer.txt'));
    expect((await b.send(step('cat /tmp/planted answer.txt; hostname'))).data.observation.text).toContain('No such file');
    for (const c of [a, b]) c.ws.close();
    await Promise.all([a.closed, b.closed]);
  });

  it('turns away a session past maxSessions with CAPACITY_REACHED, and takes one again when a slot frees', async () => {
    const open = [new Client(server.wsUrl), new Client(server.wsUrl), new Client(server.wsUrl)];
    await Promise.all(open.map((c) => c.send({ type: 'state' })));
    const extra = new Client(server.wsUrl);
    expect((await extra.next()).data).toMatchObject({ code: 'CAPACITY_REACHED', active_sessions: 3, max_sessions: 3 });
    expect((await extra.closed).code).toBe(1013);
    open[0]!.ws.close();
    await open[0]!.closed;
    await expect.poll(() => server.activeSessions(), { timeout: 10_000 }).toBe(2);
    const late = new Client(server.wsUrl);
    expect((await late.send({ type: 'state' })).type).toBe('state');
    // A session that is still closing its sandboxes: the next connection waits for its slot instead of being refused.
    await open[1]!.send({ type: 'reset', data: {} });
    open[1]!.ws.send(JSON.stringify({ type: 'close' }));
    await open[1]!.closed;
    const queued = new Client(server.wsUrl);
    expect((await queued.send({ type: 'state' })).type).toBe('state');
    for (const c of [open[2]!, late, queued]) c.ws.close();
  });

  it('closes a dropped session\'s sandboxes at once, even in the middle of a command', async () => {
    const c = new Client(server.wsUrl);
    await c.send({ type: 'reset', data: { options: { instanceId: 'answer-a' } } });
    await c.opened;
    c.ws.send(JSON.stringify(step('sleep 60', { timeout: 120 })));
    await expect.poll(running, { timeout: 10_000 }).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    const dropped = Date.now();
    c.ws.terminate();
    await expect.poll(running, { timeout: 5_000, interval: 100 }).toBe(0);
    process.stdout.write(`serve: a dropped session's containers were gone ${Date.now() - dropped} ms after the drop\n`);
    expect(Date.now() - dropped).toBeLessThan(5_000);
    await expect.poll(() => server.activeSessions(), { timeout: 5_000 - (Date.now() - dropped) }).toBe(0);
  });
});

describe.skipIf(!dockerReady())('serve: access, idle sessions and shutdown', () => {
  it('requires the token on /ws, /schema and /metadata, not on /health', async () => {
    const token = 'tok-' + randomUUID();
    await using server = await serve({ env: answerTask, instances, port: 0, token, prepareNext: false });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/schema`)).status).toBe(401);
    expect((await fetch(`${server.url}/metadata`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const meta = await fetch(`${server.url}/metadata`, { headers: { authorization: `Bearer ${token}` } });
    expect(await meta.json()).toMatchObject({ name: 'serve-test/answer-v0', version: expect.any(String) });
    const ids = await fetch(`${server.url}/instances`, { headers: { authorization: `Bearer ${token}` } });
    expect(await ids.json()).toEqual({ count: 2, ids: ['answer-a', 'answer-b'] });
    const post = await fetch(`${server.url}/reset`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(((await post.json()) as { error: string }).error).toContain('episodes run over the WebSocket at /ws');
    await expect(new Client(server.wsUrl).opened).rejects.toThrow('HTTP 401');
    await expect(new Client(server.wsUrl, { headers: { authorization: 'Bearer nope' } }).opened).rejects.toThrow('HTTP 401');
    const ok = new Client(server.wsUrl, { headers: { authorization: `Bearer ${token}` } });
    expect((await ok.send({ type: 'state' })).type).toBe('state');
    ok.ws.close();
    // A web page in the user's browser is refused (cross-site WebSocket hijacking), token or not.
    await expect(new Client(server.wsUrl, { headers: { authorization: `Bearer ${token}` }, origin: 'https://evil.example' }).opened).rejects.toThrow('HTTP 403');
    await expect(new Client(server.url.replace('http', 'ws') + '/other').opened).rejects.toThrow('HTTP 404');
  });

  it('refuses to listen beyond loopback without a token, before starting anything', async () => {
    const err = await serve({ env: answerTask, instances, host: '0.0.0.0', port: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]).toMatchObject({ path: 'token', message: expect.stringContaining('0.0.0.0') });
  });

  it('closes an idle session (4000) but never one whose command is still running', async () => {
    await using server = await serve({ env: answerTask, instances, port: 0, idleTimeoutSeconds: 1, prepareNext: false });
    const busy = new Client(server.wsUrl);
    await busy.send({ type: 'reset', data: {} });
    expect((await busy.send(step('sleep 2.5; echo slept', { timeout: 10 }))).data.observation.text).toContain('slept');
    const bye = await busy.next();
    expect(bye.data).toMatchObject({ code: 'SESSION_ERROR', message: expect.stringContaining('No message for 1 s') });
    expect((await busy.closed).code).toBe(4000);
    await expect.poll(() => server.activeSessions(), { timeout: 10_000 }).toBe(0);
  });

  it('answers surplus pipelined messages with errors, still one reply each and in order', async () => {
    await using server = await serve({ env: answerTask, instances, port: 0, prepareNext: false });
    const c = new Client(server.wsUrl);
    await c.send({ type: 'reset', data: {} });
    c.ws.send(JSON.stringify(step('sleep 1', { timeout: 10 })));
    for (let i = 0; i < 40; i++) c.ws.send(JSON.stringify({ type: 'state' }));
    const replies = await Promise.all(Array.from({ length: 41 }, () => c.next()));
    const kinds = replies.map((r) => (r.type === 'error' ? r.data.code : r.type));
    expect(kinds[0]).toBe('observation');
    expect(kinds.filter((k) => k === 'SESSION_ERROR').length).toBeGreaterThan(0);
    // Every refused one comes after every served one: replies stay in the order of the messages.
    expect(kinds.lastIndexOf('state')).toBeLessThan(kinds.indexOf('SESSION_ERROR'));
  });

  it('ends every session (1001) and its sandboxes when the server closes', async () => {
    const label = `serve-close-${randomUUID()}`;
    const server = await serve({ env: answerTask, instances, port: 0, sandboxOptions: { labels: { [label]: '1' } } });
    const c = new Client(server.wsUrl);
    await c.send({ type: 'reset', data: {} });
    await server.close();
    expect((await c.closed).code).toBe(1001);
    const docker = await connectDocker();
    expect(await docker.listContainers({ all: true, filters: { label: [`${label}=1`] } })).toEqual([]);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });

  it('serves an env registered with a factory; a factory that fails gives FACTORY_ERROR (1011)', async () => {
    let calls = 0;
    const id = register(`serve-test/flaky-${randomUUID().slice(0, 8)}`, async (options) => {
      calls++;
      if (calls > 2) throw new Error('the factory is out of luck');
      return make(answerTask, options);
    });
    await using server = await serve({ env: id, instances, port: 0, prepareNext: false });
    const good = new Client(server.wsUrl);
    expect((await good.send({ type: 'reset', data: {} })).type).toBe('observation');
    const bad = new Client(server.wsUrl);
    expect((await bad.next()).data).toMatchObject({ code: 'FACTORY_ERROR', message: expect.stringContaining('out of luck') });
    expect((await bad.closed).code).toBe(1011);
    good.ws.close();
  });
});
