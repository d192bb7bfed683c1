import tar from 'tar-stream';
import { SandboxError } from '../errors.js';
import type { Sandbox } from '../sandbox/types.js';
import { isIgnoredFile, IGNORED_DIRS, type WorkspaceFiles } from './files.js';

const GIT_INIT =
  'git init -q -b main . && git add -A && ' +
  'git -c user.name=hybrid-gym -c user.email=hybrid-gym@localhost commit -q --no-verify -m "workspace"';

/**
 * Put `files` into the sandbox's workdir as a fresh git repository with exactly one commit:
 * no history, no remotes, nothing but what the agent is meant to see.
 */
export async function installWorkspace(sandbox: Sandbox, files: WorkspaceFiles): Promise<void> {
  await sandbox.writeFiles([...files].map(([path, content]) => ({ path, content })));
  const r = await sandbox.execDetached(['sh', '-c', GIT_INIT], { timeoutMs: 120_000 });
  if (r.exitCode !== 0) throw new SandboxError(`git init of the workspace failed: ${r.output.trim()}`, { sandboxId: sandbox.id });
}

/** Read the workdir back as files (the agent's final state), leaving out `.git` and caches. */
export async function readWorkspace(sandbox: Sandbox): Promise<WorkspaceFiles> {
  const stream = await sandbox.archiveOut(sandbox.workdir);
  const extract = tar.extract();
  stream.pipe(extract as unknown as NodeJS.WritableStream);
  const files: WorkspaceFiles = new Map();
  for await (const entry of extract) {
    const name = entry.header.name.replace(/^\.?\/?/, '');
    // The archive's first path segment is the workdir's own name.
    const rel = name.split('/').slice(1).join('/');
    const parts = rel.split('/');
    const skip =
      entry.header.type !== 'file' ||
      rel === '' ||
      parts.slice(0, -1).some((p) => IGNORED_DIRS.has(p) || p.endsWith('.egg-info')) ||
      isIgnoredFile(parts[parts.length - 1]!);
    if (skip) {
      entry.resume();
      continue;
    }
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    files.set(rel, Buffer.concat(chunks));
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
