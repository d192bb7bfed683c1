/** Base class of every error this library throws on purpose; `code` is stable for programs to switch on. */
export class HybridGymError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem found by validation: where (`a.b.0.c`, empty for the whole value) and what. */
export interface ValidationIssue {
  path: string;
  message: string;
  /** For an unknown key: the known key it most likely meant. */
  suggestion?: string;
}

/** Options or input failed validation; `issues` lists each problem with its path. The message is one line. */
export class ValidationError extends HybridGymError {
  readonly issues: ReadonlyArray<ValidationIssue>;
  constructor(what: string, issues: ReadonlyArray<ValidationIssue>) {
    const parts = issues.map((i) => `${i.path || '(root)'}: ${oneLine(i.message)}`);
    super('VALIDATION', `Invalid ${what}: ${parts.join('; ')}`);
    this.issues = issues;
  }
}

/** The command line was misused: a bad argument, a missing file or folder. The CLI exits with 2. */
export class UsageError extends HybridGymError {
  /** The option or argument at fault, as typed (`--repo`, `<instances>`), when there is one. */
  readonly option: string | undefined;
  constructor(message: string, options?: { option?: string; cause?: unknown }) {
    super('USAGE', message, options);
    this.option = options?.option;
  }
}

/** A generator found nothing to make instances from; `reasons` counts why each Python file was passed over. */
/**
 * A generator that needs the repository's tests found none that pass in the sandbox: the suite
 * did not import (a dependency the image lacks, a src layout without `pythonPath`) or failed.
 */
export class NoPassingTestsError extends HybridGymError {
  readonly task: string;
  readonly repo: string;
  readonly image: string;
  /** Tests that failed in both runs of the suite. */
  readonly failing: number;
  /** Test modules that did not import, with pytest's reason. */
  readonly collectErrors: ReadonlyArray<{ nodeid: string; message?: string }>;
  constructor(task: string, repo: string, image: string, failing: number, collectErrors: ReadonlyArray<{ nodeid: string; message?: string }>) {
    const first = collectErrors[0];
    const reason = first?.message ? ` (first: ${first.nodeid}: ${lastLine(first.message)})` : '';
    super(
      'NO_PASSING_TESTS',
      `${task} found no instances in ${repo}: none of its tests passed in ${image} ` +
        `(${failing} failed, ${collectErrors.length} test module${collectErrors.length === 1 ? '' : 's'} did not import${reason}). ` +
        'Build an image with the repository\'s dependencies (hybrid-gym image build --apt PKG / --pip REQ) and pass it with --image, ' +
        'or name its source folder for a src layout (generator option pytest.pythonPath: generate --set \'pytest={"pythonPath":["src"]}\').',
    );
    this.task = task;
    this.repo = repo;
    this.image = image;
    this.failing = failing;
    this.collectErrors = collectErrors;
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines.find((l) => /^E\s/.test(l)) ?? lines[lines.length - 1] ?? '').replace(/^E\s+/, '').trim();
}

export class NoInstancesError extends HybridGymError {
  readonly task: string;
  readonly repo: string;
  /** Python files found in the repository. */
  readonly pythonFiles: number;
  /** Files per reason they gave nothing, e.g. `{ 'test file': 3, 'syntax errors': 1 }`. */
  readonly reasons: Readonly<Record<string, number>>;
  constructor(task: string, repo: string, pythonFiles: number, reasons: Readonly<Record<string, number>>) {
    const why =
      pythonFiles === 0
        ? 'it holds no Python files (.py, outside hidden, virtualenv, build and dist folders)'
        : `none of its ${pythonFiles} Python file${pythonFiles === 1 ? '' : 's'} gave one (${Object.entries(reasons)
            .sort((a, b) => b[1] - a[1])
            .map(([r, n]) => `${r}: ${n}`)
            .join(', ')})`;
    super('NO_INSTANCES', `${task} found no instances in ${repo}: ${why}`);
    this.task = task;
    this.repo = repo;
    this.pythonFiles = pythonFiles;
    this.reasons = reasons;
  }
}

/** The text on one line: line breaks and the indentation after them become single spaces. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The container engine or a container failed: an infrastructure problem, not the agent's fault. */
export class SandboxError extends HybridGymError {
  readonly sandboxId: string | undefined;
  constructor(message: string, options?: { sandboxId?: string; cause?: unknown }) {
    super('SANDBOX', message, options);
    this.sandboxId = options?.sandboxId;
  }
}

/**
 * A code check could not run because its verification sandbox failed (could not start, vanished,
 * stopped answering). Never the agent's doing: the env ends the episode as an infrastructure failure.
 */
export class CheckSandboxError extends SandboxError {
  readonly check: string;
  constructor(check: string, message: string, cause?: unknown) {
    super(`code check "${check}": ${message}`, { cause });
    this.check = check;
  }
}

/** No container engine answered (not installed, not running, or DOCKER_HOST is wrong). */
export class EngineUnavailableError extends SandboxError {
  readonly endpoint: string;
  constructor(endpoint: string, cause?: unknown) {
    super(
      `No Docker engine answers at ${endpoint}. Start one (for example \`dockerd &\`), set DOCKER_HOST, ` +
        `or use the local sandbox (sandbox: 'local').`,
      { cause },
    );
    this.endpoint = endpoint;
  }
}

/** A sandbox or shell was used after close(). */
export class ClosedError extends HybridGymError {
  constructor(what: string) {
    super('CLOSED', `${what} is closed`);
  }
}

/** The shell session is still running a command and cannot start another. */
export class ShellBusyError extends HybridGymError {
  readonly runningCommand: string;
  constructor(runningCommand: string) {
    super(
      'SHELL_BUSY',
      `The shell is still running \`${runningCommand.slice(0, 200)}\`; send input, interrupt it, or wait.`,
    );
    this.runningCommand = runningCommand;
  }
}

/** The default image is missing and could not be built. */
export class ImageBuildError extends HybridGymError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('IMAGE_BUILD', message, options);
  }
}

/** `make()` got an id that no environment is registered under. */
export class EnvNotFoundError extends HybridGymError {
  readonly envId: string;
  readonly suggestion: string | undefined;
  constructor(envId: string, suggestion: string | undefined, known: readonly string[]) {
    super(
      'ENV_NOT_FOUND',
      `No environment is registered as "${envId}".` +
        (suggestion ? ` Did you mean "${suggestion}"?` : '') +
        ` Registered: ${known.join(', ') || '(none)'}.`,
    );
    this.envId = envId;
    this.suggestion = suggestion;
  }
}

/** A program called the env out of order (step before reset, step after the episode ended). */
export class EnvOrderError extends HybridGymError {
  constructor(message: string) {
    super('ENV_ORDER', message);
  }
}

/** An instance id that the env does not have. */
export class InstanceNotFoundError extends HybridGymError {
  readonly instanceId: string;
  constructor(instanceId: string, known: number) {
    super('INSTANCE_NOT_FOUND', `No instance "${instanceId}" among the ${known} this env has.`);
    this.instanceId = instanceId;
  }
}

/** A file in the sandbox is larger than what may be read into memory: the agent's doing, not the infrastructure's. */
export class FileTooLargeError extends HybridGymError {
  readonly path: string;
  readonly size: number;
  readonly limit: number;
  constructor(path: string, size: number, limit: number) {
    super('FILE_TOO_LARGE', `${path} is ${size} bytes, more than the ${limit} that may be read`);
    this.path = path;
    this.size = size;
    this.limit = limit;
  }
}

/**
 * The agent's final workspace cannot be scored as it stands (missing, too large, too many files):
 * the agent's doing, so the episode scores 0 with this reason — never an infrastructure failure.
 */
export class WorkspaceError extends HybridGymError {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super('WORKSPACE', message);
    this.reason = reason;
  }
}

/** A generated instance no longer matches its repository (a file it changes moved on): generate again. */
export class StaleInstanceError extends HybridGymError {
  constructor(
    readonly instanceId: string,
    readonly file: string,
    detail: string,
  ) {
    super('STALE_INSTANCE', `instance ${instanceId}: ${file} ${detail}; the repository changed since the instance was generated (generate it again)`);
  }
}

/**
 * An LLM agent's model did not give a usable reply: the server did not answer in time, kept
 * failing after retries, or refused the request. The agent's doing: its episode ends as truncated
 * 'agent' (scored), never as an infrastructure failure.
 */
export class ModelError extends HybridGymError {
  /** The HTTP status of the last attempt, when there was a reply. */
  readonly status: number | undefined;
  /** HTTP attempts made for the request (retries + 1). */
  readonly attempts: number;
  /**
   * What went wrong: `timeout` (no reply in time), `unreachable` (no connection), `overloaded`
   * (429 or 5xx after the retries), `refused` (another 4xx: a context too long, say),
   * `misconfigured` (401, 403, 404: a key, model name or URL that is wrong for every episode),
   * `bad-reply` (an answer that is not a completion).
   */
  readonly kind: ModelErrorKind;
  constructor(message: string, options: { status?: number; attempts: number; kind: ModelErrorKind; cause?: unknown }) {
    super('MODEL', message, { cause: options.cause });
    this.status = options.status;
    this.attempts = options.attempts;
    this.kind = options.kind;
  }
}

export type ModelErrorKind = 'timeout' | 'unreachable' | 'overloaded' | 'refused' | 'misconfigured' | 'bad-reply';
