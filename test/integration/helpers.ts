import { afterAll, beforeAll, inject } from 'vitest';
import { DockerProvider, type DockerProviderOptions } from '../../src/sandbox/docker/docker-provider.js';

/** Whether Docker integration tests run here (always true in CI, where its absence fails setup). */
export const dockerReady = (): boolean => inject('docker');

/** A Docker provider for the tests of one describe block: started before them, closed after them. */
export function blockProvider(options?: DockerProviderOptions): () => DockerProvider {
  let provider: DockerProvider | undefined;
  beforeAll(async () => {
    provider = await DockerProvider.start(options);
  });
  afterAll(async () => {
    await provider?.close();
  });
  return () => {
    if (!provider) throw new Error('the provider is started in beforeAll: use it inside a test');
    return provider;
  };
}

/** Run `use` with a provider of its own, closed after it whatever happens. */
export async function withProvider<T>(options: DockerProviderOptions, use: (provider: DockerProvider) => Promise<T>): Promise<T> {
  const provider = await DockerProvider.start(options);
  try {
    return await use(provider);
  } finally {
    await provider.close();
  }
}
