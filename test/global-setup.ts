import type { TestProject } from 'vitest/node';
import { DEFAULT_IMAGE, imageExists } from '../src/image/default-image.js';
import { connectDocker } from '../src/sandbox/docker/docker-client.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A Docker engine answers and the default image is there. */
    docker: boolean;
  }
}

/** Integration tests need the engine and the image; in CI their absence fails the run instead of skipping. */
export default async function setup(project: TestProject): Promise<void> {
  let ready = false;
  let why = '';
  try {
    const docker = await connectDocker();
    ready = await imageExists(docker, DEFAULT_IMAGE);
    if (!ready) why = `the image ${DEFAULT_IMAGE} is missing (run \`npx hybrid-gym image build\`)`;
  } catch (err) {
    why = (err as Error).message;
  }
  if (!ready && process.env.CI) {
    throw new Error(`CI is set but the Docker integration tests cannot run: ${why}`);
  }
  if (!ready) process.stderr.write(`\n[hybrid-gym] skipping Docker integration tests: ${why}\n`);
  project.provide('docker', ready);
}
