import type Docker from 'dockerode';
import { EngineUnavailableError } from '../../errors.js';

/** Where the engine is: DOCKER_HOST when set, else the local socket. */
export function engineEndpoint(): string {
  return process.env.DOCKER_HOST ?? '/var/run/docker.sock';
}

/** A dockerode client (loaded on first use) that has answered a ping. */
export async function connectDocker(client?: Docker): Promise<Docker> {
  let docker = client;
  if (!docker) {
    const { default: Dockerode } = await import('dockerode');
    docker = new Dockerode();
  }
  try {
    await docker.ping();
  } catch (err) {
    throw new EngineUnavailableError(engineEndpoint(), err);
  }
  return docker;
}
