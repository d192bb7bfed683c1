/**
 * A scripted stand-in for an LLM endpoint: a node:http server on 127.0.0.1 (random port) speaking the
 * non-streaming OpenAI chat-completions (`POST /v1/chat/completions`) and Anthropic Messages
 * (`POST /v1/messages`) wire formats, so tests can drive the real `openai` / `@anthropic-ai/sdk` clients.
 *
 *   const llm = await startScriptedLlm([{ kind: 'openai', message: { content: 'hi' } }]);
 *   new OpenAI({ baseURL: llm.url, apiKey: 'x' });      // url  = http://127.0.0.1:PORT/v1
 *   new Anthropic({ baseURL: llm.root, apiKey: 'x' });  // root = http://127.0.0.1:PORT (the SDK appends /v1/messages)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';

/** One HTTP request as the server saw it; `body` is the parsed JSON (the raw text when it was not JSON). */
export interface RecordedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  /** `Date.now()` when the body had been read. */
  at: number;
}

/** What to answer one request with. */
export type Reply =
  | {
      kind: 'openai';
      message: {
        content?: string | null;
        tool_calls?: Array<{ id?: string; name: string; arguments: string }>;
        reasoning_content?: string;
      };
      finishReason?: string;
      usage?: { prompt_tokens: number; completion_tokens: number };
      logprobs?: Array<{ token: string; logprob: number }>;
      /** vLLM `return_token_ids`: top-level `prompt_token_ids`. */
      promptTokenIds?: number[];
      /** vLLM `return_token_ids`: `token_ids` on the choice. */
      tokenIds?: number[];
    }
  | {
      kind: 'anthropic';
      content: Array<
        | { type: 'text'; text: string }
        | { type: 'thinking'; thinking: string; signature?: string }
        | { type: 'tool_use'; id?: string; name: string; input: unknown }
      >;
      stopReason?: string;
      usage?: { input_tokens: number; output_tokens: number };
    }
  /** Any status, e.g. 429 with `Retry-After`, or 500; `body` is sent as JSON (a default error body when absent). */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  /** Never answers; the socket stays open until the client gives up or the server closes. */
  | { kind: 'hang' };

/**
 * Chooses the reply to the `index`-th scripted request (0-based). Only requests to a known path with a JSON
 * body reach the script; 404s and 400s are recorded but do not use up an index.
 */
export type Script = (request: RecordedRequest, index: number) => Reply | Promise<Reply>;

export interface ScriptedLlmServer {
  /** OpenAI-style base URL, `http://127.0.0.1:PORT/v1`. */
  url: string;
  /** Server root, `http://127.0.0.1:PORT`: the Anthropic SDK's `baseURL` (it appends `/v1/messages` itself). */
  root: string;
  /** Every request received, in order, recorded before the script runs. */
  requests: RecordedRequest[];
  /** Stops the server, destroying open (including hanging) connections; calling it again is harmless. */
  close(): Promise<void>;
}

type ChatChoice = OpenAI.Chat.Completions.ChatCompletion.Choice;

const PATHS = new Set(['/v1/chat/completions', '/v1/messages']);

/** Starts the server; with an array, request i gets reply i and requests past the end get a 500. */
export async function startScriptedLlm(script: Script | Reply[]): Promise<ScriptedLlmServer> {
  const run: Script = Array.isArray(script) ? fromArray(script) : script;
  const requests: RecordedRequest[] = [];
  let next = 0;

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody(`scripted-llm-server: ${(err as Error)?.message ?? err}`));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const path = (req.url ?? '/').split('?')[0]!;
    let body: any = text;
    let json = true;
    try {
      body = JSON.parse(text);
    } catch {
      json = false;
    }
    const request: RecordedRequest = { path, headers: { ...req.headers }, body, at: Date.now() };
    requests.push(request);
    if (req.method !== 'POST' || !PATHS.has(path)) {
      return sendJson(res, 404, errorBody(`no route for ${req.method} ${path}`, 'not_found_error'));
    }
    if (!json) return sendJson(res, 400, errorBody('request body is not JSON', 'invalid_request_error'));
    const index = next++;
    const reply = await run(request, index);
    switch (reply.kind) {
      case 'hang':
        return; // never answered; close() destroys the socket
      case 'status':
        return sendJson(res, reply.status, reply.body ?? errorBody(`scripted status ${reply.status}`), reply.headers);
      case 'openai':
        return sendJson(res, 200, openaiCompletion(reply, request, index));
      case 'anthropic':
        return sendJson(res, 200, anthropicMessage(reply, request, index));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed: Promise<void> | undefined;
  return {
    url: `${root}/v1`,
    root,
    requests,
    close: () =>
      (closed ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      })),
  };
}

function fromArray(replies: Reply[]): Script {
  return (_request, index) =>
    replies[index] ?? {
      kind: 'status',
      status: 500,
      body: errorBody(
        `scripted-llm-server: the script ran out: it had ${replies.length} ${replies.length === 1 ? 'reply' : 'replies'} and this is request ${index + 1}`,
      ),
    };
}

/** A `ChatCompletion`, plus vLLM's `prompt_token_ids` / `token_ids` and `reasoning_content` when given. */
function openaiCompletion(reply: Extract<Reply, { kind: 'openai' }>, request: RecordedRequest, index: number) {
  const { content = null, tool_calls, reasoning_content } = reply.message;
  const toolCalls = tool_calls?.map((call, k) => ({
    id: call.id ?? `call_${index}_${k}`,
    type: 'function' as const,
    function: { name: call.name, arguments: call.arguments },
  }));
  const message = {
    role: 'assistant' as const,
    content,
    refusal: null,
    ...(toolCalls?.length ? { tool_calls: toolCalls } : {}),
    ...(reasoning_content !== undefined ? { reasoning_content } : {}),
  };
  const usage = reply.usage ?? { prompt_tokens: tokens(request.body), completion_tokens: tokens(message) };
  const choice = {
    index: 0,
    message,
    finish_reason: (reply.finishReason ?? (toolCalls?.length ? 'tool_calls' : 'stop')) as ChatChoice['finish_reason'],
    logprobs: reply.logprobs
      ? {
          content: reply.logprobs.map(({ token, logprob }) => ({
            token,
            logprob,
            bytes: [...Buffer.from(token, 'utf8')],
            top_logprobs: [],
          })),
          refusal: null,
        }
      : null,
    ...(reply.tokenIds ? { token_ids: reply.tokenIds } : {}),
  } satisfies ChatChoice;
  return {
    id: `chatcmpl-scripted-${index}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: String(request.body?.model ?? 'scripted'),
    choices: [choice],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    ...(reply.promptTokenIds ? { prompt_token_ids: reply.promptTokenIds } : {}),
  } satisfies OpenAI.Chat.Completions.ChatCompletion;
}

/** An Anthropic `Message`, every required (nullable) field present. */
function anthropicMessage(reply: Extract<Reply, { kind: 'anthropic' }>, request: RecordedRequest, index: number) {
  const content: Anthropic.Messages.ContentBlock[] = reply.content.map((block, k) => {
    switch (block.type) {
      case 'text':
        return { type: 'text', text: block.text, citations: null };
      case 'thinking':
        return { type: 'thinking', thinking: block.thinking, signature: block.signature ?? `sig_${index}_${k}` };
      case 'tool_use':
        return {
          type: 'tool_use',
          id: block.id ?? `toolu_${index}_${k}`,
          name: block.name,
          input: block.input,
          caller: { type: 'direct' },
        };
    }
  });
  const usage = reply.usage ?? { input_tokens: tokens(request.body), output_tokens: tokens(content) };
  const hasToolUse = content.some((block) => block.type === 'tool_use');
  return {
    id: `msg_scripted_${index}`,
    type: 'message',
    role: 'assistant',
    model: String(request.body?.model ?? 'scripted'),
    content,
    stop_reason: (reply.stopReason ?? (hasToolUse ? 'tool_use' : 'end_turn')) as Anthropic.Messages.StopReason,
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: {
      ...usage,
      cache_creation_input_tokens: null,
      cache_read_input_tokens: null,
      cache_creation: null,
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: null,
      speed: null,
    },
  } satisfies Anthropic.Messages.Message;
}

/** Deterministic token count stand-in: a quarter of the JSON length, at least 1. */
function tokens(value: unknown): number {
  return Math.max(1, Math.ceil((JSON.stringify(value) ?? '').length / 4));
}

/** An error body both SDKs parse (`error.message` / `error.type`). */
function errorBody(message: string, type = 'api_error'): unknown {
  return { type: 'error', error: { message, type } };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
