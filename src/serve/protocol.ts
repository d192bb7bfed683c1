import { z } from 'zod';

/**
 * OpenEnv's WebSocket protocol at `/ws` (one connection is one env session), as its Python
 * `EnvClient` speaks it: the client sends `reset`, `step`, `state` and `close` messages; the server
 * answers each of the first three with one `observation`, `state` or `error` message, in order.
 */

/** OpenEnv's error codes (`WSErrorCode`). */
export const ERROR_CODES = [
  'INVALID_JSON',
  'UNKNOWN_TYPE',
  'VALIDATION_ERROR',
  'EXECUTION_ERROR',
  'CAPACITY_REACHED',
  'FACTORY_ERROR',
  'SESSION_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** `data` of a reset: OpenEnv's `seed` and `episode_id`, and our `options.instanceId`. */
export const ResetDataSchema = z.strictObject({
  seed: z.number().int().min(0).optional().describe('Seeds the choice of instance: same seed, same instance, same prompt, same files.'),
  episode_id: z.string().min(1).max(255).optional().describe('Your id for the episode (default: a new UUID); the state reports it.'),
  options: z
    .strictObject({
      instanceId: z.string().min(1).optional().describe('Run this instance instead of a drawn one.'),
      nextInstanceId: z
        .string()
        .min(1)
        .optional()
        .describe("The instance the session's next reset will ask for: its sandbox is prepared while this episode runs, so that reset is a hand-over."),
    })
    .optional(),
});

/** `data` of a step: our Action. Whether its tool and input are right is the agent's business (an error observation), not the protocol's. */
export const StepDataSchema = z.strictObject({
  tool: z.string().describe('bash (or execute_bash), str_replace_editor, think or finish'),
  input: z.unknown().optional().describe("The tool's arguments: an object, or its JSON text as LLM APIs give it."),
  callId: z.string().optional().describe('The id of the LLM tool call; echoed in the observation.'),
  /** OpenEnv's `Action` base class carries `metadata`; accepted and ignored. */
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('reset'), data: ResetDataSchema.default({}) }),
  z.strictObject({ type: z.literal('step'), data: StepDataSchema }),
  z.strictObject({ type: z.literal('state'), data: z.record(z.string(), z.unknown()).optional() }),
  z.strictObject({ type: z.literal('close'), data: z.record(z.string(), z.unknown()).optional() }),
]);
export type ClientMessage = z.output<typeof ClientMessageSchema>;

export const MESSAGE_TYPES = ['reset', 'step', 'state', 'close'] as const;

/** A reply of the server. */
export type ServerMessage =
  | { type: 'observation'; data: ObservationData }
  | { type: 'state'; data: Record<string, unknown> }
  | { type: 'error'; data: { message: string; code: ErrorCode; [key: string]: unknown } };

/** OpenEnv's serialized observation: the observation's own fields, and reward, done and metadata beside them. */
export interface ObservationData {
  observation: Record<string, unknown>;
  reward: number | null;
  done: boolean;
  metadata: Record<string, unknown>;
}

export function errorMessage(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): ServerMessage {
  return { type: 'error', data: { ...extra, message, code } };
}

/** A client message, or the error reply that says what is wrong with it. */
export function parseClientMessage(raw: string): { ok: true; message: ClientMessage } | { ok: false; reply: ServerMessage } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { ok: false, reply: errorMessage('INVALID_JSON', `Invalid JSON: ${(err as Error).message}`) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reply: errorMessage('VALIDATION_ERROR', 'A message is a JSON object like {"type": "step", "data": {"tool": "bash", "input": {"command": "ls"}}}') };
  }
  const type = (value as { type?: unknown }).type;
  if (!MESSAGE_TYPES.includes(type as never)) {
    return { ok: false, reply: errorMessage('UNKNOWN_TYPE', `Unknown message type: ${JSON.stringify(type ?? null)}; the types are ${MESSAGE_TYPES.join(', ')}`) };
  }
  const parsed = ClientMessageSchema.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  const errors = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: describeIssue(i) }));
  const said = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
  return { ok: false, reply: errorMessage('VALIDATION_ERROR', `Invalid ${String(type)} message: ${said}`, { errors }) };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  return issue.message;
}
