import { z } from 'zod';
import { ModelError, ValidationError, type ModelErrorKind } from '../../errors.js';

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_RETRIES = 4;

/** Options every LLM agent takes (the API's own sampling parameters go in `sampling`). */
export const LlmClientOptionsSchema = z.strictObject({
  model: z.string().min(1),
  /** The API's base URL (OpenAI: ending in `/v1`; Anthropic: the server root). */
  baseURL: z.string().url().optional(),
  /** The API key; without it, read from the variable `apiKeyEnv`. */
  apiKey: z.string().optional(),
  apiKeyEnv: z.string().min(1).optional(),
  /** Tools by the API's function calling, or in OpenHands' text format. @default 'function-calling' */
  toolFormat: z.enum(['function-calling', 'text']).optional(),
  /** The API's sampling parameters as it names them (`temperature`, `top_p`, `max_tokens`, `seed`, `logprobs`, ...), sent with every request. */
  sampling: z.record(z.string(), z.unknown()).optional(),
  /** More fields for the request body (vendor extensions such as vLLM's `return_token_ids`). */
  extraBody: z.record(z.string(), z.unknown()).optional(),
  /** Headers sent with every request. */
  headers: z.record(z.string(), z.string()).optional(),
  /** Milliseconds one HTTP attempt may take. @default 120000 */
  timeoutMs: z.number().int().positive().optional(),
  /** Retries of a request that failed with 408, 409, 429, 5xx or no answer (backoff, honouring `Retry-After`). @default 4 */
  maxRetries: z.number().int().nonnegative().optional(),
  /** Replaces the default system prompt (the text format's tool descriptions are added to it). */
  systemPrompt: z.string().optional(),
  /** The name the shell tool is offered under. @default 'bash' ('execute_bash' with the text format) */
  bashName: z.enum(['bash', 'execute_bash']).optional(),
  /** The agent's name in trajectories. */
  name: z.string().min(1).optional(),
  /** The fetch the client uses (a replayed model, a proxy). @default globalThis.fetch */
  fetch: z.custom<typeof fetch>((v) => typeof v === 'function', 'expected a fetch function').optional(),
});

export type LlmClientOptions = z.input<typeof LlmClientOptionsSchema>;

export function parseClientOptions<T extends z.ZodType>(schema: T, options: unknown, what: string): z.output<T> {
  const r = schema.safeParse(options);
  if (!r.success) throw new ValidationError(what, r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return r.data;
}

/** The key from the options or the environment; a local server (a base URL of the user's) may need none. */
export function resolveApiKey(options: { apiKey?: string; apiKeyEnv?: string; baseURL?: string }, defaultEnv: string, what: string): string {
  const env = options.apiKeyEnv ?? defaultEnv;
  const key = options.apiKey ?? process.env[env];
  if (key) return key;
  if (options.baseURL) return 'EMPTY';
  throw new ValidationError(`${what} options`, [{ path: 'apiKey', message: `no API key: set ${env} (or pass apiKey, or a baseURL of a server that needs none)` }]);
}

/**
 * A fetch that counts its calls: the SDK retries inside one request, and the trajectory records how
 * many HTTP attempts a turn took.
 */
export function countingFetch(inner: typeof fetch | undefined): { fetch: typeof fetch; attempts: () => number; reset: () => void } {
  let n = 0;
  const f = (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]): Promise<Response> => {
    n++;
    return (inner ?? globalThis.fetch)(input, init);
  };
  return { fetch: f as typeof fetch, attempts: () => n, reset: () => (n = 0) };
}

/** The SDK's failure as a ModelError naming the server, the model and the attempts. */
export function modelError(err: unknown, where: string, attempts: number): ModelError {
  const e = err as Error & { status?: number };
  const status = typeof e.status === 'number' ? e.status : undefined;
  const what = status ? `answered ${status}` : 'did not answer';
  const kind: ModelErrorKind =
    status === undefined ? (/timed? ?out/i.test(`${e.name} ${e.message}`) ? 'timeout' : 'unreachable')
    : [401, 403, 404].includes(status) ? 'misconfigured'
    : status === 408 || status === 409 || status === 429 || status >= 500 ? 'overloaded'
    : 'refused';
  return new ModelError(`The model ${where} ${what} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${e.message}`, { status, attempts: Math.max(attempts, 1), kind, cause: err });
}

/** Load an optional SDK on first use, with a message that says how to install it. */
export async function loadSdk<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw new ModelError(`The package ${name} could not be loaded (${(err as Error).message}); install it: npm install ${name}`, { attempts: 0, kind: 'misconfigured', cause: err });
  }
}

/** The options both SDK clients take, from the agent's: the key, URL, per-attempt timeout, retries, headers, the counting fetch. */
export function sdkClientOptions(o: { baseURL?: string; timeoutMs?: number; maxRetries?: number; headers?: Record<string, string> }, apiKey: string, fetch: typeof globalThis.fetch) {
  return {
    apiKey,
    ...(o.baseURL && { baseURL: o.baseURL }),
    timeout: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxRetries: o.maxRetries ?? DEFAULT_RETRIES,
    ...(o.headers && { defaultHeaders: o.headers }),
    fetch,
  };
}

/** Send one request through the SDK, timed, its HTTP attempts counted; a failure becomes a ModelError naming `where`. */
export async function timedRequest<T>(counter: ReturnType<typeof countingFetch>, where: string, send: () => Promise<T>): Promise<{ reply: T; timing: { startedAt: string; latencyMs: number; attempts: number } }> {
  const startedAt = new Date().toISOString();
  const t = performance.now();
  counter.reset();
  let reply: T;
  try {
    reply = await send();
  } catch (err) {
    throw modelError(err, where, counter.attempts());
  }
  return { reply, timing: { startedAt, latencyMs: Math.round(performance.now() - t), attempts: Math.max(1, counter.attempts()) } };
}
