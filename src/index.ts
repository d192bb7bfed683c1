// The public API: every name a user may import, in one explicit list.
export {
  HybridGymError,
  ValidationError,
  SandboxError,
  EngineUnavailableError,
  ClosedError,
  ShellBusyError,
  ImageBuildError,
} from './errors.js';

export type { ExecResult, RunOptions, FileEntry, Sandbox, SandboxProvider } from './sandbox/types.js';
export { SandboxPool, type SandboxPoolOptions } from './sandbox/pool.js';
export {
  DockerProvider,
  DockerProviderOptionsSchema,
  type DockerProviderOptions,
} from './sandbox/docker/docker-provider.js';
export { LocalProvider, LocalProviderOptionsSchema, type LocalProviderOptions } from './sandbox/local/local-provider.js';
export { reapContainers, type ReapResult } from './sandbox/docker/reaper.js';
export { createProvider, type SandboxKind } from './sandbox/create-provider.js';

export { DEFAULT_IMAGE, buildDefaultImage } from './image/index.js';
export type { BuildDefaultImageOptions, BuildDefaultImageResult } from './image/index.js';
