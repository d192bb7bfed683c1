import { createProvider, type SandboxKind } from '../sandbox/create-provider.js';
import type { SandboxProvider } from '../sandbox/types.js';
import type { CodeRunner } from '../tasks/code-check.js';
import type { BaseInstance, TaskDefinition, VerifyResult } from '../tasks/define-task.js';
import type { WorkspaceFiles } from '../workspace/files.js';
import { SandboxCodeRunner } from './code-runner.js';
import { checkRunFor } from './check-context.js';

export interface VerifyFilesOptions {
  /** Where code checks run, when the task has any (a provider starts only when a check runs). @default 'docker' */
  sandbox?: SandboxKind;
  /** Runs the code checks instead (for example a fake in a unit test, or a runner you share). */
  runner?: CodeRunner;
  /** The workdir the verifier is told about. @default '/workspace' */
  workdir?: string;
}

/**
 * Score final files against an instance outside an episode, exactly as an episode's end does:
 * file checks on the files, code checks in verification sandboxes holding them with the task's
 * protected files restored from the instance's starting workspace. `hybrid-gym verify` is this.
 */
export async function verifyFiles<I extends BaseInstance>(
  task: TaskDefinition<I>,
  instance: I,
  final: WorkspaceFiles,
  options: VerifyFilesOptions = {},
): Promise<VerifyResult> {
  let provider: Promise<SandboxProvider> | undefined;
  let runner: CodeRunner | undefined = options.runner;
  let pristine: Promise<WorkspaceFiles> | undefined;
  const given = (): Promise<WorkspaceFiles> => (pristine ??= Promise.resolve(task.workspace(instance)));
  const makeRunner = async (): Promise<CodeRunner> => {
    provider ??= createProvider(options.sandbox ?? 'docker');
    return (runner ??= new SandboxCodeRunner(await provider));
  };
  try {
    return await task.verify(instance, final, {
      workdir: options.workdir ?? '/workspace',
      run: checkRunFor(task, instance, final, given, makeRunner),
    });
  } finally {
    if (provider) await (await provider.catch(() => undefined))?.close();
  }
}
