import { posix } from 'node:path';
import createDebug from 'debug';
import { CheckSandboxError, SandboxError } from '../errors.js';
import type { Sandbox, SandboxProvider } from '../sandbox/types.js';
import { capText } from '../sandbox/capped-output.js';
import { shellQuote } from '../sandbox/subshell.js';
import { readTarFiles } from '../sandbox/tar.js';
import type { CheckDirs, CodeCheck, CodeCheckResult, CodeRunner } from '../tasks/code-check.js';
import type { WorkspaceFiles } from '../workspace/files.js';

const log = createDebug('hybrid-gym:check');

export interface CodeRunnerOptions {
  /** Characters of a check's output kept (head and tail together). @default 20000 */
  outputChars?: number;
  /** Most bytes read back from `out` per check; past it the rest comes back undefined. @default 16 MiB */
  maxCollectBytes?: number;
  /** Time limit of a check that names none. @default 300000 */
  timeoutMs?: number;
  /**
   * Run checked code as root with a writable workspace. By default (container providers) it runs as
   * `nobody` with the workspace and the support files read-only, so code under test cannot rewrite
   * a test module, a conftest.py or the check's own files while the check runs; the local provider
   * always runs it as the user. @default false
   */
  asRoot?: boolean;
}

/** The unprivileged user checked code runs as in a container (Debian's nobody:nogroup). */
const NOBODY = 65534;

// What a check's command starts with: nothing of the image's or the agent's environment but these.
const BASE_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  PYTHONDONTWRITEBYTECODE: '1',
};

/** On the host (the local provider) checks find the programs the user's own PATH finds (a pyenv python, say). */
function baseEnv(provider: SandboxProvider): Record<string, string> {
  if (provider.name !== 'local') return BASE_ENV;
  return { ...BASE_ENV, PATH: process.env.PATH ?? BASE_ENV.PATH, HOME: process.env.HOME ?? BASE_ENV.HOME };
}

/**
 * Runs code checks, each in a fresh sandbox of its own that is closed afterwards: the verification
 * sandbox. It holds exactly the files given (never the agent's container, its processes or what it
 * wrote outside the workspace), has the provider's limits (network none, memory, pids), and its
 * command starts with a clean environment. A failing, crashing or hanging command is a result; only
 * a sandbox that could not run the check throws, with a {@link CheckSandboxError}.
 */
export class SandboxCodeRunner implements CodeRunner {
  private readonly outputChars: number;
  private readonly maxCollectBytes: number;
  private readonly timeoutMs: number;
  private readonly asRoot: boolean;

  constructor(
    readonly provider: SandboxProvider,
    options: CodeRunnerOptions = {},
  ) {
    this.outputChars = options.outputChars ?? 20_000;
    this.maxCollectBytes = options.maxCollectBytes ?? 16 * 1024 * 1024;
    this.timeoutMs = options.timeoutMs ?? 300_000;
    this.asRoot = options.asRoot ?? false;
  }

  /** The image checks run in when none is named: the provider's, or `host` for the local provider. */
  get image(): string | undefined {
    const own = (this.provider as { image?: unknown }).image;
    return typeof own === 'string' ? own : this.provider.name === 'local' ? 'host' : undefined;
  }

  async run(files: WorkspaceFiles, check: CodeCheck, options: { image?: string } = {}): Promise<CodeCheckResult> {
    let sandbox: Sandbox;
    try {
      sandbox = await this.provider.create({ reuse: false, ...(options.image && { image: options.image }) });
    } catch (err) {
      throw new CheckSandboxError(check.name, `no verification sandbox could start: ${(err as Error).message}`, err);
    }
    try {
      return await this.runIn(sandbox, files, check);
    } finally {
      void sandbox.close().catch((err) => log('closing the verification sandbox failed: %s', (err as Error).message));
    }
  }

  private async runIn(sandbox: Sandbox, files: WorkspaceFiles, check: CodeCheck): Promise<CodeCheckResult> {
    const root = posix.join(posix.dirname(sandbox.workdir), '.hybrid-gym-check');
    const dirs: CheckDirs = { workdir: sandbox.workdir, support: `${root}/support`, out: `${root}/out` };
    const timeoutMs = check.timeoutMs ?? this.timeoutMs;
    const argv = check.argv(dirs);
    const started = Date.now();
    let exitCode: number;
    let output: string;
    let timedOut: boolean;
    try {
      await sandbox.writeFiles([
        ...[...files].map(([path, content]) => ({ path: posix.join(sandbox.workdir, path), content })),
        ...Object.entries(check.support ?? {}).map(([path, content]) => ({ path: posix.join(dirs.support, path), content })),
      ]);
    } catch (err) {
      throw await this.failure(sandbox, check, err);
    }
    const unprivileged = !this.asRoot && this.provider.name !== 'local';
    const [workdir, support, out] = [dirs.workdir, dirs.support, dirs.out].map(shellQuote);
    // Before any checked code runs: a failure here is the sandbox's, not the code's.
    const fds = (check.outputFds ?? []).map((name, k) => {
      if (!/^[\w.-]+$/.test(name)) throw new CheckSandboxError(check.name, `outputFds: "${name}" is not a plain file name`);
      return { name, fd: k + 3, path: shellQuote(`${dirs.out}/${name}`) };
    });
    // `out` is root's and sticky, like /tmp: the command may add files, not remove or replace the
    // root-owned ones it writes through descriptors.
    const prepare = unprivileged
      ? `mkdir -p ${out} ${support} && chown -R 0:0 ${workdir} ${support} ${out} && chmod -R go-w ${workdir} ${support} && chmod 1777 ${out} && ` +
        fds.map((f) => `: > ${f.path} && chmod 600 ${f.path} && `).join('') +
        `{ [ ! -d ${support}/private ] || { chown -R ${NOBODY}:${NOBODY} ${support}/private && chmod -R go-rwx ${support}/private; }; } && command -v setpriv && command -v setsid`
      : `mkdir -p ${out} ${support}`;
    try {
      const prepared = await sandbox.execDetached(['sh', '-c', prepare], { timeoutMs: 60_000, cwd: '/' });
      if (prepared.exitCode !== 0) {
        const text = prepared.output.trim();
        const why = unprivileged && !/\/setsid$/m.test(text)
          ? `${text ? `${text.slice(-300)}; ` : ''}checked code runs through setpriv and setsid (util-linux), which the image must have`
          : text.slice(-500);
        throw new CheckSandboxError(check.name, `the verification sandbox could not be prepared: ${why}`);
      }
    } catch (err) {
      if (err instanceof CheckSandboxError) throw err;
      throw await this.failure(sandbox, check, err);
    }
    // A session of its own: no controlling terminal, so the checked code cannot type into the
    // sandbox's root shell (TIOCSTI) through /dev/tty; then nobody, without capabilities.
    const drop =
      (this.provider.name !== 'local' ? 'setsid -w ' : '') +
      (unprivileged ? `setpriv --reuid=${NOBODY} --regid=${NOBODY} --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs ` : '');
    const env = {
      ...baseEnv(this.provider),
      ...(unprivileged && { HOME: '/tmp' }),
      ...check.env,
      ...(fds.length > 0 && { HYBRID_GYM_FDS: fds.map((f) => `${f.name}=${f.fd}`).join(',') }),
    };
    const vars = Object.entries(env).map(([k, v]) => shellQuote(`${k}=${v}`));
    const redirects = fds.map((f) => ` ${f.fd}>>${f.path}`).join('');
    const script = `cd ${workdir} && exec ${drop}env -i ${vars.join(' ')} ${argv.map(shellQuote).join(' ')}${redirects}`;
    try {
      ({ exitCode, output, timedOut } = await sandbox.execDetached(['sh', '-c', script], { timeoutMs, cwd: dirs.workdir }));
    } catch (err) {
      // What the checked code did to its own sandbox (killed the shell, say) is a failed check.
      if (!(err instanceof SandboxError) || !(await sandbox.isAlive().catch(() => false))) throw await this.failure(sandbox, check, err);
      ({ exitCode, output, timedOut } = { exitCode: -1, output: `the check's command was lost: ${err.message}`, timedOut: false });
    }
    const durationMs = Date.now() - started;
    let collected: Record<string, Buffer | undefined>;
    try {
      collected = await this.collect(sandbox, dirs.out, check.collect ?? []);
    } catch (err) {
      // The checked code ran and may have removed or replaced `out` (an atexit hook can): in a
      // sandbox that still runs, that is the code's doing and nothing was collected.
      if (!(await sandbox.isAlive().catch(() => false))) throw await this.failure(sandbox, check, err);
      log('%s: nothing collected: %s', check.name, (err as Error).message);
      collected = Object.fromEntries((check.collect ?? []).map((n) => [n, undefined]));
    }
    const capped = capText(output, this.outputChars);
    log('%s: exit %d in %dms%s', check.name, exitCode, durationMs, timedOut ? ' (timed out)' : '');
    return { exitCode, output: capped.text, truncated: capped.truncated, timedOut, durationMs, collected };
  }

  /** The sandbox failed where no checked code had run yet, or it is gone: infrastructure. */
  private async failure(sandbox: Sandbox, check: CodeCheck, err: unknown): Promise<Error> {
    if (!(err instanceof SandboxError)) return err as Error;
    const alive = await sandbox.isAlive().catch(() => false);
    return new CheckSandboxError(check.name, `the verification sandbox ${alive ? 'failed' : 'is gone'}: ${err.message}`, err);
  }

  /** The named files of `out`, read in one archive; what is missing or past the byte cap is undefined. */
  private async collect(sandbox: Sandbox, out: string, names: string[]): Promise<Record<string, Buffer | undefined>> {
    const result: Record<string, Buffer | undefined> = Object.fromEntries(names.map((n) => [n, undefined]));
    if (names.length === 0) return result;
    const wanted = new Set(names.map((n) => posix.normalize(n)));
    const stream = await sandbox.archiveOut(out);
    const base = posix.basename(out);
    let budget = this.maxCollectBytes;
    await readTarFiles(stream, (name, size, read) => {
      const rel = posix.relative(base, posix.normalize(name));
      if (!wanted.has(rel) || size > budget) return undefined;
      budget -= size;
      return read().then((data) => {
        result[rel] = data;
      });
    });
    return result;
  }
}
