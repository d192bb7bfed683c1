import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { registeredEnvs } from '../../env/registry.js';
import { closest } from '../../env/closest.js';
import { UsageError } from '../../errors.js';
import { isLoopback } from '../../serve/access.js';
import { serve, type SessionEvent } from '../../serve/server.js';
import type { SandboxKind } from '../../sandbox/create-provider.js';
import { existingDir, existingFile, keyValue, nonEmpty, oneOf, wholeNumber } from '../args.js';
import { SANDBOXES } from './task-commands.js';

interface ServeCliOptions {
  env: string;
  instances?: string;
  repo?: string;
  host: string;
  port: number;
  maxSessions: number;
  token?: string;
  idleTimeout: number;
  maxSteps: number;
  sandbox: SandboxKind;
  image?: string;
  set: Record<string, unknown>;
  import: string[];
  allowOrigin: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A module of the user's that registers envs (`register(defineTask(...))`) before the server starts. */
async function importModules(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    try {
      await import(pathToFileURL(resolve(path)).href);
    } catch (err) {
      throw new UsageError(`--import ${path}: cannot import ${resolve(path)}: ${(err as Error).message.split('\n')[0]}`, { option: '--import', cause: err });
    }
  }
}

/** A TCP port: 0 (any free one) to 65535. */
function portNumber(value: string): number {
  const n = wholeNumber(0)(value);
  if (n > 65535) throw new InvalidArgumentError('Expected a port, 0 to 65535.');
  return n;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description("serve an env to other processes over OpenEnv's WebSocket protocol (/ws, /health, /schema, /metadata)")
    .requiredOption('--env <id>', 'the env id, e.g. hybrid-gym/func-localize-v0', nonEmpty)
    .option('--instances <file>', 'instances file (.jsonl) written by `hybrid-gym generate`', existingFile)
    .option('--repo <dir>', 'or generate the instances from this repository once, at start', existingDir)
    .option('--set <key=value>', 'with --repo: a generator option (repeatable; JSON values)', keyValue, {})
    .option('--host <host>', 'address to listen on; anything but loopback needs --token', nonEmpty, '127.0.0.1')
    .option('--port <port>', 'port (0: any free one; the chosen one is printed)', portNumber, 8000)
    .option('--max-sessions <n>', 'sessions (connections) at once; each holds up to two containers', wholeNumber(1), 8)
    .option('--token <token>', 'token every client must send (Authorization: Bearer <token>); default: $HYBRID_GYM_TOKEN', nonEmpty)
    .option('--idle-timeout <seconds>', 'close a session that sends nothing for this long', wholeNumber(1), 600)
    .option('--max-steps <n>', 'steps per episode before it is truncated', wholeNumber(1), 50)
    .addOption(new Option('--sandbox <kind>', `where episodes run: ${SANDBOXES.join(' | ')}`).argParser(oneOf(SANDBOXES)).default('docker'))
    .option('--image <tag>', 'the sandbox image (default: the default image, or each instance\'s own)', nonEmpty)
    .option('--import <module>', 'a module to import first, which registers your envs (repeatable)', collect, [])
    .option('--allow-origin <origin>', 'a browser origin allowed to connect (repeatable; browsers are refused by default)', collect, [])
    .action(async (opts: ServeCliOptions) => {
      await importModules(opts.import);
      if (!registeredEnvs().includes(opts.env)) {
        const near = closest(opts.env, registeredEnvs());
        throw new UsageError(`no env ${opts.env} is registered${near ? ` (did you mean ${near}?)` : ''}; envs: ${registeredEnvs().join(', ')}`, { option: '--env' });
      }
      if ((opts.instances === undefined) === (opts.repo === undefined)) {
        throw new UsageError('give either --instances <file> or --repo <dir>', { option: opts.instances ? '--repo' : '--instances' });
      }
      if (Object.keys(opts.set).length > 0 && opts.repo === undefined) throw new UsageError('--set goes with --repo (generator options)', { option: '--set' });
      const token = opts.token ?? (process.env.HYBRID_GYM_TOKEN || undefined);
      if (!isLoopback(opts.host) && token === undefined) {
        throw new UsageError(`--host ${opts.host} is reachable from other machines: give --token <token> (or set HYBRID_GYM_TOKEN); sessions run commands`, { option: '--token' });
      }
      const log = (line: string) => process.stderr.write(`hybrid-gym serve: ${line}\n`);
      const server = await serve({
        env: opts.env,
        ...(opts.instances ? { instances: resolve(opts.instances) } : { repo: resolve(opts.repo!), generate: opts.set }),
        host: opts.host,
        port: opts.port,
        maxSessions: opts.maxSessions,
        ...(token && { token }),
        idleTimeoutSeconds: opts.idleTimeout,
        maxSteps: opts.maxSteps,
        sandbox: opts.sandbox,
        ...(opts.image && { sandboxOptions: { image: opts.image } }),
        allowedOrigins: opts.allowOrigin,
        onSession: (e: SessionEvent) => log(`session ${e.sessionId?.slice(0, 8) ?? '-'} ${e.type}${e.reason ? ` (${e.reason})` : ''}: ${e.active}/${e.maxSessions} in use`),
      }).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`port ${opts.port} on ${opts.host} is in use; pick another with --port (0: any free one)`, { option: '--port' });
        throw err;
      });
      // One JSON line on stdout for scripts (the port, when --port 0 chose one); the rest on stderr.
      process.stdout.write(`${JSON.stringify({ env: server.envId, url: server.url, ws: server.wsUrl, instances: server.instances, maxSessions: opts.maxSessions })}\n`);
      log(`${server.envId} (${server.instances ?? '?'} instances) at ${server.wsUrl}${token ? ' (token required)' : ''}; Ctrl-C stops`);
      await new Promise<void>((resolveStop) => {
        const stop = (signal: NodeJS.Signals) => {
          log(`${signal}: closing ${server.activeSessions()} sessions and their sandboxes`);
          process.once(signal, () => process.exit(130));
          void server.close().then(resolveStop);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
