import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { APIConnectionTimeoutError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startScriptedLlm, type Reply, type ScriptedLlmServer } from '../../support/scripted-llm-server.js';

let server: ScriptedLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(script: Parameters<typeof startScriptedLlm>[0]): Promise<ScriptedLlmServer> {
  server = await startScriptedLlm(script);
  return server;
}

const ask = { model: 'm-1', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('scripted LLM server', () => {
  it('answers the OpenAI client with tool calls, logprobs and vLLM token ids', async () => {
    const llm = await start([
      {
        kind: 'openai',
        message: { content: null, tool_calls: [{ name: 'bash', arguments: '{"command":"ls"}' }], reasoning_content: 'think' },
        logprobs: [{ token: 'é', logprob: -0.5 }],
        promptTokenIds: [1, 2, 3],
        tokenIds: [7, 8],
      },
    ]);
    const client = new OpenAI({ baseURL: llm.url, apiKey: 'x', maxRetries: 0 });
    const completion = await client.chat.completions.create(ask);

    expect(completion).toMatchObject({ object: 'chat.completion', model: 'm-1', prompt_token_ids: [1, 2, 3] });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toEqual([
      { id: 'call_0_0', type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } },
    ]);
    expect(choice.message).toMatchObject({ role: 'assistant', content: null, reasoning_content: 'think' });
    expect(choice.logprobs?.content).toEqual([{ token: 'é', logprob: -0.5, bytes: [0xc3, 0xa9], top_logprobs: [] }]);
    expect(choice).toMatchObject({ token_ids: [7, 8] });
    const usage = completion.usage!;
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(usage.prompt_tokens).toBeGreaterThan(0);

    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0]).toMatchObject({ path: '/v1/chat/completions', body: ask });
    expect(llm.requests[0]!.headers.authorization).toBe('Bearer x');
  });

  it('answers the Anthropic client (baseURL = root) with a tool_use block', async () => {
    const llm = await start([
      {
        kind: 'anthropic',
        content: [
          { type: 'text', text: 'Listing.' },
          { type: 'tool_use', name: 'bash', input: { command: 'ls' } },
        ],
      },
    ]);
    const client = new Anthropic({ baseURL: llm.root, apiKey: 'x', maxRetries: 0 });
    const message = await client.messages.create({ ...ask, max_tokens: 100 });

    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: 'm-1', stop_reason: 'tool_use', stop_sequence: null });
    expect(message.content).toMatchObject([
      { type: 'text', text: 'Listing.' },
      { type: 'tool_use', id: 'toolu_0_1', name: 'bash', input: { command: 'ls' } },
    ]);
    expect(message.usage).toMatchObject({ cache_creation_input_tokens: null, cache_read_input_tokens: null });
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    // @anthropic-ai/sdk 1.x sends the API key as a bearer token, not `x-api-key`.
    expect(llm.requests[0]).toMatchObject({ path: '/v1/messages', headers: { authorization: 'Bearer x', 'anthropic-version': expect.any(String) } });
  });

  it('lets the OpenAI client honour Retry-After on a 429', async () => {
    const llm = await start([
      { kind: 'status', status: 429, headers: { 'Retry-After': '1' } },
      { kind: 'openai', message: { content: 'ok' } },
    ]);
    const client = new OpenAI({ baseURL: llm.url, apiKey: 'x', maxRetries: 2 });
    const completion = await client.chat.completions.create(ask);

    expect(completion.choices[0]!.message.content).toBe('ok');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(llm.requests).toHaveLength(2);
    expect(llm.requests[1]!.at - llm.requests[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it('hangs until the client times out, and still closes promptly', async () => {
    const llm = await start(() => ({ kind: 'hang' }));
    const client = new OpenAI({ baseURL: llm.url, apiKey: 'x', maxRetries: 0, timeout: 500 });
    await expect(client.chat.completions.create(ask)).rejects.toBeInstanceOf(APIConnectionTimeoutError);

    const pending = fetch(`${llm.url}/chat/completions`, { method: 'POST', body: '{}' });
    await expect.poll(() => llm.requests.length).toBe(2);
    const before = Date.now();
    await llm.close();
    expect(Date.now() - before).toBeLessThan(1000);
    await expect(pending).rejects.toThrow();
  });

  it('answers 500 naming the count when the script runs out', async () => {
    const replies: Reply[] = [{ kind: 'openai', message: { content: 'one' } }];
    const llm = await start(replies);
    const client = new OpenAI({ baseURL: llm.url, apiKey: 'x', maxRetries: 0 });
    await client.chat.completions.create(ask);
    const err = await client.chat.completions.create(ask).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as Error).message).toMatch(/ran out.*had 1 reply/);
  });

  it('answers 400 to a body that is not JSON and 404 to unknown paths, recording both', async () => {
    const llm = await start([{ kind: 'openai', message: { content: 'unused' } }]);
    const bad = await fetch(`${llm.url}/chat/completions`, { method: 'POST', body: 'not json' });
    expect(bad.status).toBe(400);
    const missing = await fetch(`${llm.url}/embeddings`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { message: expect.stringContaining('/v1/embeddings') } });
    expect(llm.requests.map((r) => [r.path, r.body])).toEqual([
      ['/v1/chat/completions', 'not json'],
      ['/v1/embeddings', {}],
    ]);
  });
});
