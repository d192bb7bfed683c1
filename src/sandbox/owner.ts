import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';

/** Labels that mark a container as ours and name the process that owns it. */
export const LABEL = {
  managed: 'hybrid-gym',
  session: 'hybrid-gym.session',
  pid: 'hybrid-gym.pid',
  pidStart: 'hybrid-gym.pid-start',
  host: 'hybrid-gym.host',
  /** On a workdir volume: the one sandbox it is made for. */
  sandbox: 'hybrid-gym.sandbox',
} as const;

/** One id per process, so every sandbox it makes can be traced back to it. */
export const SESSION_ID = randomUUID();

/** The start time of a process in clock ticks since boot (Linux), to tell a live owner from a reused pid. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces, so count from its closing parenthesis.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}

export function ownerLabels(): Record<string, string> {
  return {
    [LABEL.managed]: 'true',
    [LABEL.session]: SESSION_ID,
    [LABEL.pid]: String(process.pid),
    [LABEL.pidStart]: processStartTime(process.pid) ?? '',
    [LABEL.host]: hostname(),
  };
}

/** Whether the process that labelled a container is still running on this host. */
export function ownerAlive(labels: Record<string, string>): boolean {
  if (labels[LABEL.host] !== hostname()) return true; // Another machine's: not ours to judge.
  if (labels[LABEL.session] === SESSION_ID) return true;
  const pid = Number(labels[LABEL.pid]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const start = labels[LABEL.pidStart];
  const now = processStartTime(pid);
  return !start || !now || start === now;
}
