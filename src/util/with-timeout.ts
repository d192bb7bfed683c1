import { SandboxError } from '../errors.js';

/**
 * `promise`, or a SandboxError naming `what` once `ms` have passed: no engine call may hang an
 * episode. The late result is dropped (its rejection too).
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string, sandboxId?: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SandboxError(`${what} did not answer within ${Math.round(ms / 1000)} s`, { sandboxId })), ms);
  });
  promise.catch(() => {});
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
