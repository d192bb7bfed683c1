import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import createDebug from 'debug';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { MakeOptionsSchema, type MakeOptions } from '../env/make-options.js';
import { make, registeredTask } from '../env/registry.js';
import { TaskEnv } from '../env/task-env.js';
import type { Env } from '../env/types.js';
import { parseOptions } from '../options.js';
import { createProvider } from '../sandbox/create-provider.js';
import { SandboxPool } from '../sandbox/pool.js';
import type { BaseInstance, TaskDefinition } from '../tasks/define-task.js';
import { authorized, isLoopback, originAllowed } from './access.js';
import { envMetadata, httpHandler } from './http-routes.js';
import { errorMessage } from './protocol.js';
import { Session } from './session.js';

const log = createDebug('hybrid-gym:serve');

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
  env: z.union([z.string().min(1), z.custom<TaskDefinition<BaseInstance>>((v) => typeof v === 'object' && v !== null && 'name' in v && 'verify' in v, 'expected a task definition')]),
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

/**
 * Serve an env over OpenEnv's WebSocket protocol (`/ws`, one connection = one session with an env
 * of its own) and its HTTP routes (`/health`, `/schema`, `/metadata`), for trainers in other
 * processes and languages. Instances are loaded (or generated from `repo`) once, at start; every
 * session's sandboxes come from one provider, closed with the server.
 */
export async function serve(options: ServeOptions): Promise<EnvServer> {
  const o = parseOptions(ServeOptionsSchema, options, 'serve options');
  if (!isLoopback(o.host) && o.token === undefined) {
    throw new ValidationError('serve options', [{ path: 'token', message: `required: host ${o.host} is reachable from other machines, and a session runs commands` }]);
  }
  const { env: which, host, port, maxSessions, token, idleTimeoutSeconds, maxMessageBytes, allowedOrigins, onSession, sandbox, sandboxOptions, ...rest } = o;
  const provider = await createProvider(sandbox, sandboxOptions as never);
  const pool = new SandboxPool(provider, { warm: 0 });
  const stopPool = async () => {
    await pool.close().catch(() => {});
    await provider.close().catch(() => {});
  };
  let envOptions: MakeOptions;
  let envId: string;
  let task: TaskDefinition<BaseInstance> | undefined;
  let instanceCount: number | undefined;
  try {
    // One env made now checks the options and loads (or generates) the instances once for all sessions.
    const first = await make(which, { ...rest, pool, prepareNext: false });
    envId = first.id;
    const inner = first.unwrapped;
    await first.close();
    if (inner instanceof TaskEnv) {
      task = inner.task as TaskDefinition<BaseInstance>;
      instanceCount = inner.instances.length;
      const { repo: _repo, generate: _generate, ...kept } = rest;
      envOptions = { ...kept, instances: [...inner.instances], pool };
    } else {
      task = typeof which === 'string' ? registeredTask(which) : which;
      envOptions = { ...rest, pool };
    }
  } catch (err) {
    await stopPool();
    throw err;
  }
  const makeEnv = (): Promise<Env> => make(which, envOptions);

  const sessions = new Set<Session>();
  let closing = false;
  let closed: Promise<void> | undefined;
  const tell = (e: Omit<SessionEvent, 'active' | 'maxSessions'>) => onSession?.({ ...e, active: sessions.size, maxSessions });
  const http = createServer(httpHandler({ token, metadata: envMetadata(envId, task, instanceCount) }));
  // The hard cap protects memory; below it, an oversized message is answered (the session lives on).
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes * 4 });

  const refuse = (socket: Duplex, status: number, text: string) => {
    const body = JSON.stringify({ error: text });
    socket.end(`HTTP/1.1 ${status} ${text.split(':')[0]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  };
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/ws') return refuse(socket, 404, `Not Found: WebSocket sessions are at /ws, not ${path}`);
    if (!authorized(req, token)) return refuse(socket, 401, 'Unauthorized: send the header "Authorization: Bearer <token>"');
    if (!originAllowed(req, allowedOrigins)) return refuse(socket, 403, `Forbidden: origin ${req.headers.origin} is not allowed`);
    wss.handleUpgrade(req, socket, head, (ws) => open(ws));
  });

  const open = (ws: WebSocket) => {
    if (closing || sessions.size >= maxSessions) {
      const reason = closing ? 'the server is shutting down' : `all ${maxSessions} sessions are in use`;
      ws.send(JSON.stringify(errorMessage('CAPACITY_REACHED', `No session: ${reason}; try again later`, { active_sessions: sessions.size, max_sessions: maxSessions })));
      ws.close(1013, 'try again later');
      tell({ type: 'refused', reason });
      return;
    }
    const session: Session = new Session(ws, {
      envId,
      makeEnv,
      idleMs: idleTimeoutSeconds * 1000,
      maxMessageBytes,
      maxQueued: 32,
      onClose: (reason) => {
        sessions.delete(session);
        tell({ type: 'close', sessionId: session.id, reason });
      },
    });
    sessions.add(session);
    tell({ type: 'open', sessionId: session.id });
  };

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  }).catch(async (err: unknown) => {
    await stopPool();
    throw err;
  });
  const address = http.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log('serving %s at ws://%s:%d/ws', envId, shown, address.port);

  const close = () =>
    (closed ??= (async () => {
      closing = true;
      await Promise.all([...sessions].map((s) => s.close('the server is shutting down', 1001)));
      wss.close();
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await stopped;
      await stopPool();
    })());

  return {
    envId,
    host: address.address,
    port: address.port,
    url: `http://${shown}:${address.port}`,
    wsUrl: `ws://${shown}:${address.port}/ws`,
    instances: instanceCount,
    activeSessions: () => sessions.size,
    close,
    [Symbol.asyncDispose]: close,
  };
}
