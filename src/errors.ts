/** Base class of every error this library throws on purpose; `code` is stable for programs to switch on. */
export class HybridGymError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Options or input failed validation; `issues` lists each problem with its path. */
export class ValidationError extends HybridGymError {
  readonly issues: ReadonlyArray<{ path: string; message: string }>;
  constructor(what: string, issues: ReadonlyArray<{ path: string; message: string }>) {
    const lines = issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n');
    super('VALIDATION', `Invalid ${what}:\n${lines}`);
    this.issues = issues;
  }
}

/** The container engine or a container failed: an infrastructure problem, not the agent's fault. */
export class SandboxError extends HybridGymError {
  readonly sandboxId: string | undefined;
  constructor(message: string, options?: { sandboxId?: string; cause?: unknown }) {
    super('SANDBOX', message, options);
    this.sandboxId = options?.sandboxId;
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
