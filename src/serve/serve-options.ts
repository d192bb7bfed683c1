import { z } from 'zod';
import { MakeOptionsSchema } from '../env/make-options.js';
import type { BaseInstance, TaskDefinition } from '../tasks/define-task.js';

/** What happened to a session, for logs. */
export interface SessionEvent {
  type: 'open' | 'close' | 'refused';
  sessionId?: string;
  reason?: string;
  active: number;
  maxSessions: number;
}

export const ServeOptionsSchema = MakeOptionsSchema.omit({ pool: true, warm: true }).extend({
  /** A registered env id (`hybrid-gym/func-localize-v0`, or yours after `register`), or a task definition. */
  env: z.union([z.string().min(1), z.custom<TaskDefinition<any>>((v) => typeof v === 'object' && v !== null && 'name' in v && 'verify' in v, 'expected a task definition')]),
  /** Where to listen. Anything but a loopback address needs `token`. @default '127.0.0.1' */
  host: z.string().min(1).default('127.0.0.1'),
  /** @default 8000; 0 picks a free port (see `EnvServer.port`) */
  port: z.number().int().min(0).max(65535).default(8000),
  /** Sessions (connections) at once; one more gets CAPACITY_REACHED. Each holds up to two containers. @default 8 */
  maxSessions: z.number().int().positive().default(8),
  /** Required of every client (`Authorization: Bearer <token>`) except on `/health`. */
  token: z.string().min(1).optional(),
  /** A session that sends nothing for this long (while none of its calls runs) is closed. @default 600 */
  idleTimeoutSeconds: z.number().positive().default(600),
  /** A message longer than this gets an error reply and is not read; one 4x longer closes the connection (1009). @default 8 MiB */
  maxMessageBytes: z.number().int().positive().default(8 * 1024 * 1024),
  /** Browser origins allowed to connect (a request with another `Origin` header is refused). @default [] */
  allowedOrigins: z.array(z.string()).default([]),
  /** Told when a session opens, closes or is refused. */
  onSession: z.custom<(e: SessionEvent) => void>((v) => typeof v === 'function', 'expected a function').optional(),
});

export type ServeOptions = z.input<typeof ServeOptionsSchema>;

/** A running server. `close()` ends every session (closing their sandboxes) and stops listening. */
export interface EnvServer extends AsyncDisposable {
  readonly envId: string;
  readonly host: string;
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  /** `ws://host:port/ws` */
  readonly wsUrl: string;
  /** Instances the sessions draw from (undefined for an env that is not task-backed). */
  readonly instances: number | undefined;
  activeSessions(): number;
  close(): Promise<void>;
}
