import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { registeredEnvs, registeredTask } from '../../env/registry.js';
import { closest } from '../../env/closest.js';
import { UsageError } from '../../errors.js';
import { isLoopback } from '../../serve/access.js';
import { serve, type SessionEvent } from '../../serve/server.js';
import type { SandboxKind } from '../../sandbox/create-provider.js';
import { existingDir, existingFile, keyValue, nonEmpty, oneOf, seed, wholeNumber } from '../args.js';
import { REUSE_OPTION, reuseOptions, SANDBOXES } from './task-commands.js';

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
  maxSeconds: number;
  seed?: number;
  sandbox: SandboxKind;
  image?: string;
  reuse: boolean;
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

/** An instances file of another task than the env's is named as such, before anything starts. */
async function checkInstancesTask(path: string, envId: string): Promise<void> {
  const want = registeredTask(envId)?.name;
  if (want === undefined) return;
  const text = await readFile(path, 'utf8');
  const line = text.slice(0, text.indexOf('\n') === -1 ? undefined : text.indexOf('\n')).trim();
  let task: unknown;
  try {
    task = (JSON.parse(line) as { task?: unknown } | null)?.task;
  } catch {
    return; // The loader says what is wrong with the file.
  }
  if (typeof task === 'string' && task !== want) {
    const other = registeredEnvs().find((id) => registeredTask(id)?.name === task);
    throw new UsageError(`--instances ${path} holds ${task} instances, not ${want} ones${other ? `: serve them with --env ${other}` : ''}`, { option: '--instances' });
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
    .option('--max-seconds <s>', 'wall-clock seconds per episode before it is truncated', wholeNumber(1), 1800)
    .option('--seed <seed>', 'with --repo: seed of the generator\'s sampling', seed)
    .addOption(new Option('--sandbox <kind>', `where episodes run: ${SANDBOXES.join(' | ')}`).argParser(oneOf(SANDBOXES)).default('docker'))
    .option('--image <tag>', 'the sandbox image (default: the default image, or each instance\'s own)', nonEmpty)
    .option(...REUSE_OPTION)
    .option('--import <module>', 'a module to import first, which registers your envs (repeatable)', collect, [])
    .option('--allow-origin <origin>', 'a browser origin allowed to connect (repeatable; browsers are refused by default)', collect, [])
    .action(async (opts: ServeCliOptions) => {
      await importModules(opts.import);
      if (!registeredEnvs().includes(opts.env)) {
        // A task's name ("func-localize") stands for its env id too.
        const near = closest(opts.env, registeredEnvs()) ?? registeredEnvs().find((id) => registeredTask(id)?.name === opts.env);
        throw new UsageError(`no env ${opts.env} is registered${near ? ` (did you mean ${near}?)` : ''}; envs: ${registeredEnvs().join(', ')}`, { option: '--env' });
      }
      if (opts.instances !== undefined && opts.repo !== undefined) throw new UsageError('give either --instances <file> or --repo <dir>, not both', { option: '--repo' });
      if (opts.instances === undefined && opts.repo === undefined) throw new UsageError('give --instances <file> (from `hybrid-gym generate`) or --repo <dir> (to generate them at start)', { option: '--instances' });
      if (opts.instances !== undefined) await checkInstancesTask(opts.instances, opts.env);
      if ((Object.keys(opts.set).length > 0 || opts.seed !== undefined) && opts.repo === undefined) {
        throw new UsageError(`${opts.seed !== undefined ? '--seed' : '--set'} goes with --repo (it is for the generator)`, { option: opts.seed !== undefined ? '--seed' : '--set' });
      }
      const reuse = reuseOptions(opts.reuse, opts.sandbox);
      const token = opts.token ?? (process.env.HYBRID_GYM_TOKEN || undefined);
      if (!isLoopback(opts.host) && token === undefined) {
        throw new UsageError(`--host ${opts.host} is reachable from other machines: give --token <token> (or set HYBRID_GYM_TOKEN); sessions run commands`, { option: '--token' });
      }
      const log = (line: string) => process.stderr.write(`hybrid-gym serve: ${line}\n`);
      const server = await serve({
        env: opts.env,
        ...(opts.instances ? { instances: resolve(opts.instances) } : { repo: resolve(opts.repo!), generate: { ...opts.set, ...(opts.seed !== undefined && { seed: opts.seed }) } }),
        host: opts.host,
        port: opts.port,
        maxSessions: opts.maxSessions,
        ...(token && { token }),
        idleTimeoutSeconds: opts.idleTimeout,
        maxSteps: opts.maxSteps,
        maxSeconds: opts.maxSeconds,
        sandbox: opts.sandbox,
        ...((opts.image || reuse) && { sandboxOptions: { ...(opts.image && { image: opts.image }), ...reuse } }),
        allowedOrigins: opts.allowOrigin,
        onSession: (e: SessionEvent) => log(`session ${e.sessionId?.slice(0, 8) ?? '-'} ${e.type}${e.reason ? ` (${e.reason})` : ''}: ${e.active}/${e.maxSessions} in use`),
      }).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`port ${opts.port} on ${opts.host} is in use; pick another with --port (0: any free one)`, { option: '--port' });
        if ((err as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') throw new UsageError(`--host ${opts.host} is not an address of this machine (0.0.0.0: every address)`, { option: '--host' });
        if ((err as NodeJS.ErrnoException).code === 'EACCES') throw new UsageError(`port ${opts.port} needs privileges; pick one above 1023 with --port`, { option: '--port' });
        throw err;
      });
      // One JSON line on stdout for scripts (the port, when --port 0 chose one); the rest on stderr.
      process.stdout.write(`${JSON.stringify({ env: server.envId, url: server.url, ws: server.wsUrl, instances: server.instances, maxSessions: opts.maxSessions })}\n`);
      log(`${server.envId} (${server.instances ?? '?'} instances) at ${server.wsUrl}${token ? ' (token required)' : ''}; Ctrl-C stops`);
      if (['0.0.0.0', '::'].includes(opts.host)) log(`listening on every address of this machine: clients elsewhere connect to ws://<this machine's address>:${server.port}/ws`);
      await new Promise<void>((resolveStop) => {
        const stop = (signal: NodeJS.Signals) => {
          const n = server.activeSessions();
          log(`${signal}: closing ${n} session${n === 1 ? '' : 's'} and ${n === 1 ? 'its' : 'their'} sandboxes`);
          process.once(signal, () => process.exit(130));
          void server.close().then(resolveStop);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
