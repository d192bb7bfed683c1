import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import createDebug from 'debug';
import { WebSocketServer, type WebSocket } from 'ws';
import { ValidationError } from '../errors.js';
import { parseOptions } from '../options.js';
import { createProvider } from '../sandbox/create-provider.js';
import { SandboxPool } from '../sandbox/pool.js';
import { authorized, hostAllowed, isLoopback, originAllowed } from './access.js';
import { envMetadata, httpHandler, type LoadedEnv } from './http-routes.js';
import { errorMessage } from './protocol.js';
import { ServeOptionsSchema, type EnvServer, type ServeOptions, type SessionEvent } from './serve-options.js';
import { sessionEnvs, type SessionEnvs } from './session-env.js';
import { Session } from './session.js';

export { ServeOptionsSchema, type EnvServer, type ServeOptions, type SessionEvent };

const log = createDebug('hybrid-gym:serve');

/** A closing session holds its containers for a moment: a new connection waits this long for its slot. */
const SLOT_WAIT_MS = 10_000;

/**
 * Serve an env over OpenEnv's WebSocket protocol (`/ws`, one connection = one session with an env
 * of its own) and its HTTP routes (`/health`, `/schema`, `/metadata`), for trainers in other
 * processes and languages. It listens first (a port in use fails before anything starts; `/health`
 * answers 503 while the instances load), then loads (or generates from `repo`) the instances once;
 * every session's sandboxes come from one provider, closed with the server.
 */
export async function serve(options: ServeOptions): Promise<EnvServer> {
  const o = parseOptions(ServeOptionsSchema, options, 'serve options');
  if (!isLoopback(o.host) && o.token === undefined) {
    throw new ValidationError('serve options', [{ path: 'token', message: `required: host ${o.host} is reachable from other machines, and a session runs commands` }]);
  }
  const { env: which, host, port, maxSessions, token, idleTimeoutSeconds, maxMessageBytes, allowedOrigins, onSession, sandbox, sandboxOptions, ...envOptions } = o;

  let envs: SessionEnvs | undefined;
  let loaded: LoadedEnv | undefined;
  const sessions = new Set<Session>();
  let closing = false;
  const tell = (e: Omit<SessionEvent, 'active' | 'maxSessions'>) => onSession?.({ ...e, active: sessions.size, maxSessions });
  const http = createServer(httpHandler({ token, host, loaded: () => loaded }));
  // The hard cap protects memory; below it, an oversized message is answered (the session lives on).
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes * 4 });

  // Upgraded and refused sockets leave the HTTP server's books: kept here, so that close() ends them.
  const sockets = new Set<Duplex>();
  const track = (socket: Duplex) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const refuse = (socket: Duplex, status: number, text: string) => {
    // Told, so that an operator sees a trainer with the wrong token or address.
    tell({ type: 'refused', reason: `${status} ${text}` });
    const body = JSON.stringify({ error: text });
    socket.end(`HTTP/1.1 ${status} ${text.split(':')[0]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    // A client that keeps its side open gets a second to read the answer.
    setTimeout(() => socket.destroy(), 1000).unref();
  };
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    track(socket);
    socket.on('error', (err) => log('upgrade socket error: %s', err.message));
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/ws') return refuse(socket, 404, `Not Found: WebSocket sessions are at /ws, not ${path}`);
    if (!hostAllowed(req, host)) return refuse(socket, 403, `Forbidden: Host ${req.headers.host} is not this server's loopback address`);
    if (!authorized(req, token, { query: true })) {
      return refuse(socket, 401, req.headers.authorization === undefined ? 'Unauthorized: send the header "Authorization: Bearer <token>"' : 'Unauthorized: the token is wrong');
    }
    if (!originAllowed(req, allowedOrigins)) return refuse(socket, 403, `Forbidden: origin ${req.headers.origin} is not allowed`);
    if (!envs) return refuse(socket, 503, 'Service Unavailable: the env is still loading its instances');
    wss.handleUpgrade(req, socket, head, (ws) => {
      // Before anything else: a bad frame from a connection that is turned away or waiting must not be an unhandled 'error'.
      ws.on('error', (err) => log('socket error: %s', err.message));
      void open(ws, envs!);
    });
  });

  // Woken when a session's slot is free (its sandboxes closed).
  let slotFreed: Array<() => void> = [];
  let waiting = 0;
  const freeSlot = () => {
    const waiting = slotFreed;
    slotFreed = [];
    for (const wake of waiting) wake();
  };

  const open = async (ws: WebSocket, made: SessionEnvs) => {
    // A closing session still holds its containers for a moment (under a second): a new connection
    // waits for its slot rather than being turned away, so a trainer that reconnects for each
    // episode with exactly maxSessions workers is not refused. Its messages wait meanwhile.
    // Only as many wait as there are slots about to free: the others are turned away at once.
    ws.pause();
    const deadline = Date.now() + SLOT_WAIT_MS;
    const freeing = () => [...sessions].filter((s) => s.closing).length;
    while (!closing && sessions.size >= maxSessions && waiting < freeing() && Date.now() < deadline) {
      waiting++;
      await new Promise<void>((resolve) => {
        slotFreed.push(resolve);
        setTimeout(resolve, deadline - Date.now()).unref();
      }).finally(() => waiting--);
    }
    // Gone while it waited: nothing to open.
    if (ws.readyState !== ws.OPEN) return;
    ws.resume();
    if (closing || sessions.size >= maxSessions) {
      const reason = closing ? 'the server is shutting down' : `all ${maxSessions} sessions are in use`;
      ws.send(JSON.stringify(errorMessage('CAPACITY_REACHED', `No session: ${reason}; try again later`, { active_sessions: sessions.size, max_sessions: maxSessions })));
      ws.close(1013, 'try again later');
      tell({ type: 'refused', reason });
      return;
    }
    const session: Session = new Session(ws, {
      envId: made.envId,
      makeEnv: made.make,
      idleMs: idleTimeoutSeconds * 1000,
      maxMessageBytes,
      maxQueued: 32,
      onClose: (reason) => {
        sessions.delete(session);
        tell({ type: 'close', sessionId: session.id, reason });
        freeSlot();
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
  });

  let pool: SandboxPool | undefined;
  const stop = async () => {
    closing = true;
    await Promise.all([...sessions].map((s) => s.close('the server is shutting down', 1001)));
    // A client that does not answer the close frame (or holds a refused socket open) does not hold up the shutdown.
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    for (const socket of sockets) socket.destroy();
    const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeAllConnections();
    await stopped;
    await pool?.close().catch(() => {});
    await pool?.provider.close().catch(() => {});
  };
  try {
    pool = new SandboxPool(await createProvider(sandbox, sandboxOptions as never), { warm: 0 });
    envs = await sessionEnvs(which, envOptions, pool);
    loaded = { metadata: envMetadata(envs.envId, envs.task, envs.instances), instanceIds: envs.instanceIds };
  } catch (err) {
    await stop();
    throw err;
  }

  const address = http.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log('serving %s at ws://%s:%d/ws', envs.envId, shown, address.port);
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= stop());
  return {
    envId: envs.envId,
    host: address.address,
    port: address.port,
    url: `http://${shown}:${address.port}`,
    wsUrl: `ws://${shown}:${address.port}/ws`,
    instances: envs.instances,
    activeSessions: () => sessions.size,
    close,
    [Symbol.asyncDispose]: close,
  };
}
