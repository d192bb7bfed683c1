import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { findPackageRoot, packageVersion } from '../image/package-root.js';
import type { BaseInstance, TaskDefinition } from '../tasks/define-task.js';
import { authorized, hostAllowed } from './access.js';
import { serverSchemas } from './wire.js';

/** OpenEnv's `EnvironmentMetadata`. */
export interface EnvMetadata {
  name: string;
  description: string;
  version: string;
  readme_content?: string;
  documentation_url?: string;
}

export function envMetadata(envId: string, task: TaskDefinition<BaseInstance> | undefined, instances: number | undefined): EnvMetadata {
  const count = instances === undefined ? '' : ` ${instances} instance${instances === 1 ? '' : 's'}.`;
  const description = `${task?.description ?? `The env ${envId}.`}${count} Actions are hybrid-gym tool calls {tool, input}; see /schema.`;
  const doc = task ? join(safeRoot(), 'docs', 'tasks', `${task.name}.md`) : undefined;
  return {
    name: envId,
    description,
    version: packageVersion(),
    ...(doc && existsSync(doc) && { readme_content: readFileSync(doc, 'utf8') }),
  };
}

function safeRoot(): string {
  try {
    return findPackageRoot();
  } catch {
    return '.';
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** What the routes answer once the instances are loaded. */
export interface LoadedEnv {
  metadata: EnvMetadata;
  /** The ids a reset may name (`options.instanceId`); undefined for an env that is not task-backed. */
  instanceIds: readonly string[] | undefined;
}

const ROUTES = ['/schema', '/metadata', '/instances', '/ws'];

/**
 * The HTTP side: `GET /health` (open to all, for load balancers; 503 while the instances load),
 * `/schema`, `/metadata` and `/instances` (behind the token when there is one). `/ws` takes only
 * WebSocket upgrades; episodes run there (OpenEnv's HTTP `/reset` and `/step` are not served).
 */
export function httpHandler(options: { token: string | undefined; host: string; loaded: () => LoadedEnv | undefined }): (req: IncomingMessage, res: ServerResponse) => void {
  const schemas = serverSchemas();
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (!hostAllowed(req, options.host)) return json(res, 403, { error: `Host ${req.headers.host} is not this server's loopback address` });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return json(res, 405, { error: `${req.method} ${path} is not served: episodes run over the WebSocket at /ws (reset, step, state, close messages; OpenEnv's HTTP /reset and /step are not served); GET serves /health, /schema, /metadata, /instances` });
    }
    const loaded = options.loaded();
    // Until the instances are loaded, sessions cannot open: not healthy yet.
    if (path === '/health') return loaded ? json(res, 200, { status: 'healthy' }) : json(res, 503, { status: 'unhealthy' });
    if (!ROUTES.includes(path)) return json(res, 404, { error: `No route ${path}: the routes are /ws (WebSocket), /health, /schema, /metadata, /instances` });
    if (!authorized(req, options.token)) {
      const given = req.headers.authorization !== undefined;
      return json(res, 401, { error: given ? 'The token is wrong' : 'A token is required: send the header "Authorization: Bearer <token>"' });
    }
    if (path === '/schema') return json(res, 200, schemas);
    if (path === '/ws') {
      res.setHeader('upgrade', 'websocket');
      return json(res, 426, { error: '/ws is a WebSocket endpoint: connect with a WebSocket client' });
    }
    if (!loaded) return json(res, 503, { error: 'the env is still loading its instances' });
    if (path === '/metadata') return json(res, 200, loaded.metadata);
    return loaded.instanceIds ? json(res, 200, { count: loaded.instanceIds.length, ids: loaded.instanceIds }) : json(res, 404, { error: 'this env is not task-backed: it has no list of instances' });
  };
}
