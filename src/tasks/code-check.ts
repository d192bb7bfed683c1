import type { WorkspaceFiles } from '../workspace/files.js';

/** Where a code check's command finds things in the verification sandbox (absolute paths). */
export interface CheckDirs {
  /** The workspace: the files being checked. */
  workdir: string;
  /** The check's `support` files, outside the workspace. */
  support: string;
  /** An empty directory outside the workspace; the files named in `collect` are read back from it. */
  out: string;
}

/**
 * A command a task wants run on the files it checks, in a verification sandbox: a fresh sandbox of
 * the instance's image, never the agent's own. Results that matter travel through files in `out`
 * (for example a test runner's report), not through the output, which the code under test can forge.
 */
export interface CodeCheck {
  /** What it is, for errors and logs (for example `pytest` or `compile`). */
  name: string;
  /** The command, run from the workspace root with the sandbox's environment. */
  argv: (dirs: CheckDirs) => string[];
  /**
   * Files put under `support` before the command runs: path relative to it, content. The command
   * can read them but not change them, except those under `private/`, which only the command's
   * user can read and which it may delete (a secret the command reads before any checked code
   * runs, such as a results nonce). @default {}
   */
  support?: Record<string, string | Uint8Array>;
  /** Files read back from `out` after the command, relative to it. Missing ones come back undefined. @default [] */
  collect?: string[];
  /**
   * Files of `out` (plain names) that the sandbox creates before the command starts and hands to it
   * open for appending, as file descriptors 3, 4, ... in this order; the variable `HYBRID_GYM_FDS`
   * says which is which (`results.jsonl=3,other=4`). Where checked code runs unprivileged it cannot
   * open, replace or remove these files by their path: only the descriptor writes to them (a test
   * runner's results channel). @default []
   */
  outputFds?: string[];
  /** Hard limit; the command is killed after it (the result says `timedOut`). @default 300000 */
  timeoutMs?: number;
  /** Extra environment variables of the command. @default {} */
  env?: Record<string, string>;
  /**
   * Workspace paths this check also takes from the pristine copy, beyond the task's protected
   * files (for example the files of the tests it runs, whatever they are named). @default []
   */
  protect?: string[];
}

/**
 * What a code check gave back. A command that failed, timed out or crashed is a result like any
 * other (the code under test did it); only a sandbox that could not run the check at all throws,
 * with a SandboxError (the env then ends the episode as an infrastructure failure).
 */
export interface CodeCheckResult {
  exitCode: number;
  /** stdout and stderr merged, capped (head and tail kept). For people: never a verdict. */
  output: string;
  timedOut: boolean;
  /** Part of the output was cut to respect the cap. */
  truncated: boolean;
  durationMs: number;
  /** The files named in `collect`, by the same relative path; undefined when the command did not write one. */
  collected: Record<string, Buffer | undefined>;
}

/** Runs a check on the files a verifier judges (the env supplies them; protected files restored). */
export type RunCheck = (check: CodeCheck) => Promise<CodeCheckResult>;

/**
 * Runs checks on files of the caller's choosing, each in a fresh verification sandbox: what a
 * generator uses to run a repository's tests (the pristine ones, a masked one).
 */
export interface CodeRunner {
  /** The image checks run in when `run` names none (`host` when they run on the host), if known. */
  readonly image?: string;
  run(files: WorkspaceFiles, check: CodeCheck, options?: { image?: string }): Promise<CodeCheckResult>;
}
