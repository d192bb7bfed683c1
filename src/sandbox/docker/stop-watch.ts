import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import createDebug from 'debug';
import { LABEL, SESSION_ID } from '../owner.js';

const log = createDebug('hybrid-gym:sandbox');

/** Longest wait for a stopped container's `die` event before the events are taken to have failed. */
const DIE_WAIT_MS = 5_000;

interface Watched {
  /** A `kill` or `stop` came through the engine's API. */
  asked: boolean;
  died: boolean;
  waiters: Array<() => void>;
}

/**
 * Tells who stopped a container: the engine's container events of this process's sandboxes,
 * followed from the provider's start. A container whose PID 1 ended without the engine being asked
 * (no `kill` or `stop` event before its `die`) stopped by what ran inside it: the agent can stop
 * PID 1 without an OOM (a `prlimit` on it, same uid, no capability), and that is its own doing,
 * scored, never infrastructure. `docker kill`, `docker stop`, `docker rm -f` and an engine shutting
 * its containers down all say `kill` first. The events are followed live (the engine keeps only
 * its last 256 events for a later query, far fewer than a busy rollout makes).
 */
export class StopWatch {
  private readonly watched = new Map<string, Watched>();
  private failure: Error | undefined;
  private closed = false;
  private stream: Readable | undefined;
  /** The second of the last event seen, to follow again from there (what is seen twice changes nothing). */
  private since: number | undefined;
  private lastLoss = 0;

  private constructor(private readonly docker: Docker) {}

  /** Follow the events from now on: a sandbox made after this resolves is seen from its start. */
  static async start(docker: Docker): Promise<StopWatch> {
    const watch = new StopWatch(docker);
    await watch.follow();
    return watch;
  }

  private async follow(): Promise<void> {
    const stream = (await this.docker.getEvents({
      ...(this.since !== undefined && { since: this.since }),
      filters: { type: ['container'], event: ['kill', 'stop', 'die'], label: [`${LABEL.session}=${SESSION_ID}`] },
    })) as Readable;
    this.since ??= Math.floor(Date.now() / 1000);
    this.stream = stream;
    let lost = false;
    const lose = (err: Error): void => {
      if (lost) return;
      lost = true;
      this.lose(err);
    };
    createInterface({ input: stream, crlfDelay: Infinity })
      .on('line', (line) => this.onEvent(line))
      .on('close', () => lose(new Error('the engine ended its event stream')));
    stream.on('error', lose);
  }

  /**
   * The stream broke (an engine restarting, a proxy's idle timeout): follow again from the last
   * event seen, which the engine still holds for a short gap. Twice within 10 s, or a failed
   * reconnection, and the events cannot tell any more: every stop then counts as from outside.
   */
  private lose(err: Error): void {
    if (this.closed || this.failure) return;
    const now = Date.now();
    if (now - this.lastLoss < 10_000) return this.fail(err);
    this.lastLoss = now;
    log('the engine events stream broke (%s): following again from %s', err.message, this.since);
    this.follow().catch((e: Error) => this.fail(e));
  }

  /** Watch a container from its creation (before its start). */
  watch(id: string): void {
    this.watched.set(id, { asked: false, died: false, waiters: [] });
  }

  /** Stop watching a container (it is being removed). */
  forget(id: string): void {
    const w = this.watched.get(id);
    this.watched.delete(id);
    for (const wake of w?.waiters ?? []) wake();
  }

  /**
   * Whether the stopped container `id` was asked to stop through the engine. Waits for its `die`
   * event (everything the engine logged before it has then arrived); rejects when the events cannot
   * tell (their stream broke, the event did not come), which the caller takes as infrastructure.
   */
  async askedToStop(id: string, waitMs = DIE_WAIT_MS): Promise<boolean> {
    const w = this.watched.get(id);
    if (!w) throw new Error(`container ${id.slice(0, 12)} is not watched`);
    if (!w.died) {
      if (this.failure) throw this.failure;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        w.waiters.push(resolve);
        // Past the wait, one more turn for I/O that arrived meanwhile (a blocked event loop runs
        // its timers before reading its sockets): a die already sent is not missed.
        timer = setTimeout(() => setImmediate(resolve), waitMs);
      }).finally(() => clearTimeout(timer));
    }
    if (w.died) return w.asked;
    throw this.failure ?? new Error(`no 'die' event of container ${id.slice(0, 12)} within ${waitMs} ms`);
  }

  close(): void {
    this.closed = true;
    this.stream?.destroy();
  }

  private onEvent(line: string): void {
    let event: { Action?: string; id?: string; Actor?: { ID?: string }; timeNano?: number };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof event.timeNano === 'number') this.since = Math.floor(event.timeNano / 1e9);
    const w = this.watched.get(event.Actor?.ID ?? event.id ?? '');
    if (!w) return;
    if (event.Action === 'die') {
      w.died = true;
      for (const wake of w.waiters.splice(0)) wake();
    } else {
      w.asked = true;
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    if (!this.closed) log('the engine events of this process stopped: %s', err.message);
    for (const w of this.watched.values()) for (const wake of w.waiters.splice(0)) wake();
  }
}
