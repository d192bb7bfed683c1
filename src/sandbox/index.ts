export type { ExecResult, RunOptions, FileEntry, Sandbox, SandboxProvider } from './types.js';
export { SandboxPool, type SandboxPoolOptions } from './pool.js';
export { DockerProvider, DockerProviderOptionsSchema, type DockerProviderOptions } from './docker/docker-provider.js';
export { LocalProvider, LocalProviderOptionsSchema, type LocalProviderOptions } from './local/local-provider.js';
export { reapContainers, type ReapResult } from './docker/reaper.js';
export { createProvider, type SandboxKind } from './create-provider.js';
