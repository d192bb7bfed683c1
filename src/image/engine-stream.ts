import type Docker from 'dockerode';
import { ImageBuildError } from '../errors.js';

/** One JSON message of a build, pull or import stream. */
export interface EngineEvent {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * Follows an engine JSON-lines stream to its end, handing each event to `onEvent`; rejects when the
 * stream breaks or carries an error event (a failed RUN step, a refused import).
 */
export function followEngineStream(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  what: string,
  onEvent: (event: EngineEvent) => void,
): Promise<EngineEvent[]> {
  return new Promise((resolve, reject) => {
    let failure: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: EngineEvent[]) => {
        if (err) reject(new ImageBuildError(`${what} failed: ${err.message}`, { cause: err }));
        else if (failure !== undefined) reject(new ImageBuildError(`${what} failed: ${failure}`));
        else resolve(output);
      },
      (event: EngineEvent) => {
        const message = event.error ?? event.errorDetail?.message;
        if (message !== undefined) failure ??= message;
        onEvent(event);
      },
    );
  });
}

/** The progress lines of an event worth showing (build output, layer states), without blanks. */
export function eventLines(event: EngineEvent): string[] {
  const text =
    event.error ?? event.stream ?? [event.id, event.status, event.progress].filter(Boolean).join(' ');
  return text.split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0);
}

/** Splits `repo[:tag]` the way the engine does: the tag is after the last colon past the last slash. */
export function splitTag(reference: string): { repo: string; tag: string } {
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  if (colon > slash) return { repo: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { repo: reference, tag: 'latest' };
}
