import { ValidationError } from '../errors.js';
import { DockerProvider, type DockerProviderOptions } from './docker/docker-provider.js';
import { LocalProvider, type LocalProviderOptions } from './local/local-provider.js';
import type { SandboxProvider } from './types.js';

export type SandboxKind = 'docker' | 'local';

/** A started provider of the given kind. */
export async function createProvider(
  kind: SandboxKind,
  options: DockerProviderOptions | LocalProviderOptions = {},
): Promise<SandboxProvider> {
  if (kind === 'local') return LocalProvider.start(options as LocalProviderOptions);
  if (kind === 'docker') return DockerProvider.start(options as DockerProviderOptions);
  throw new ValidationError('sandbox kind', [{ path: 'sandbox', message: `expected "docker" or "local", received ${JSON.stringify(kind)}` }]);
}
