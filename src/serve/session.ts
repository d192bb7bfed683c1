import { randomUUID } from 'node:crypto';
import createDebug from 'debug';
import type { WebSocket } from 'ws';
import { ClosedError, HybridGymError, InstanceNotFoundError } from '../errors.js';
import type { TaskEnv } from '../env/task-env.js';
import type { Env } from '../env/types.js';
import { errorMessage, parseClientMessage, type ClientMessage, type ServerMessage } from './protocol.js';
import { resetData, stepData, type SessionState } from './wire.js';

const log = createDebug('hybrid-gym:serve');

export interface SessionSettings {
  envId: string;
  makeEnv: () => Promise<Env>;
  /** Close the session after this long without a message (while no call runs). */
  idleMs: number;
  /** A text message longer than this gets an error reply instead of being read. */
  maxMessageBytes: number;
  /** Messages waiting behind the running one; past this each gets an error reply instead of being read. */
  maxQueued: number;
  /** Called once, when the session is over. */
  onClose: (reason: string) => void;
}

interface Episode {
  id: string;
  instanceId: string;
  steps: number;
  startedAt: number;
  terminated: boolean;
  truncated: boolean;
  reward: number | null;
}

/** Replies a client has not read, past which its messages are not read either; and where reading resumes. */
const UNREAD_HIGH_BYTES = 16 * 1024 * 1024;
const UNREAD_LOW_BYTES = 4 * 1024 * 1024;

/** Close codes a client may see besides 1000 (normal) and 1001 (server going away). */
export const CLOSE_CODES = { idle: 4000, factory: 1011 } as const;

/**
 * One WebSocket connection: one env of its own, made when the connection opens and closed when it
 * ends (the client's `close`, a dropped connection, the idle timeout, or the server's shutdown).
 * Messages are handled one at a time, in order; each reset, step or state gets exactly one reply.
 */
export class Session {
  readonly id = randomUUID();
  private env: Promise<Env>;
  private chain: Promise<void>;
  private queued = 0;
  private episode: Episode | undefined;
  private closed = false;
  private held = false;
  /** True from the start of close(); the slot is free when onClose is called (its sandboxes closed). */
  get closing(): boolean {
    return this.closed;
  }
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly settings: SessionSettings,
  ) {
    this.env = settings.makeEnv();
    this.chain = this.env.then(
      () => undefined,
      (err: unknown) => {
        log('session %s: making the env failed: %O', this.id, err);
        this.send(errorMessage('FACTORY_ERROR', `The env ${settings.envId} could not be made: ${(err as Error).message}`));
        void this.close('env could not be made', CLOSE_CODES.factory);
      },
    );
    ws.on('message', (data, isBinary) => this.receive(data as Buffer | Buffer[] | ArrayBuffer, isBinary));
    ws.on('close', () => void this.close('connection closed by the client'));
    ws.on('error', (err) => {
      log('session %s: socket error: %s', this.id, err.message);
      void this.close(`socket error: ${err.message}`);
    });
    this.armIdle();
  }

  /** The session's state, as `state` replies give it. */
  state(): SessionState {
    const e = this.episode;
    return {
      episode_id: e?.id ?? null,
      step_count: e?.steps ?? 0,
      env_id: this.settings.envId,
      instance_id: e?.instanceId ?? null,
      done: e ? e.terminated || e.truncated : false,
      terminated: e?.terminated ?? false,
      truncated: e?.truncated ?? false,
      reward: e && (e.terminated || e.truncated) ? e.reward : null,
      elapsed_ms: e ? Date.now() - e.startedAt : null,
    };
  }

  private receive(data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean): void {
    if (this.closed) return;
    this.disarmIdle();
    const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
    // Only what the next message needs is kept: an oversized or surplus one is answered, not held.
    let job: () => Promise<ServerMessage | null>;
    if (isBinary) job = async () => errorMessage('INVALID_JSON', 'Send messages as text frames of JSON, not binary frames');
    else if (bytes > this.settings.maxMessageBytes) {
      job = async () => errorMessage('VALIDATION_ERROR', `The message is ${bytes} bytes, over the cap of ${this.settings.maxMessageBytes} bytes; it was not read`);
    } else if (this.queued > this.settings.maxQueued) {
      job = async () => errorMessage('SESSION_ERROR', `More than ${this.settings.maxQueued} messages were waiting for replies; this one was not read. Wait for each reply before sending more.`);
    } else {
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      job = () => this.handle(text);
    }
    this.queued++;
    this.chain = this.chain.then(async () => {
      try {
        if (this.closed) return;
        const reply = await job();
        if (reply) this.send(reply);
      } finally {
        this.queued--;
        this.armIdle();
      }
    });
  }

  private async handle(text: string): Promise<ServerMessage | null> {
    const parsed = parseClientMessage(text);
    if (!parsed.ok) return parsed.reply;
    try {
      return await this.dispatch(parsed.message);
    } catch (err) {
      if (this.closed && err instanceof ClosedError) return null;
      return failureReply(err);
    }
  }

  private async dispatch(message: ClientMessage): Promise<ServerMessage | null> {
    const env = await this.env;
    switch (message.type) {
      case 'reset': {
        const { seed, episode_id, options } = message.data;
        const { nextInstanceId, ...resetOptions } = options ?? {};
        const inner = env.unwrapped as Partial<Pick<TaskEnv, 'prepareNext' | 'instances'>>;
        if (nextInstanceId !== undefined && !inner.instances?.some((i) => i.id === nextInstanceId)) {
          return errorMessage('VALIDATION_ERROR', `options.nextInstanceId: no instance "${nextInstanceId}" in this env`, { errors: [{ path: 'data.options.nextInstanceId', message: 'no such instance' }] });
        }
        // A reset ends the episode before it looks for the next one: a reset that fails leaves none.
        this.episode = undefined;
        const { observation, info } = await env.reset({ ...(seed !== undefined && { seed }), ...(options && { options: resetOptions }) });
        if (nextInstanceId !== undefined) inner.prepareNext?.(nextInstanceId);
        const episode: Episode = { id: episode_id ?? randomUUID(), instanceId: info.instanceId, steps: 0, startedAt: Date.now(), terminated: false, truncated: false, reward: null };
        this.episode = episode;
        return { type: 'observation', data: resetData(episode.id, observation, info) };
      }
      case 'step': {
        const { tool, input, callId } = message.data;
        const result = await env.step({ tool, input, ...(callId !== undefined && { callId }) });
        const episode = this.episode!;
        episode.steps = result.info.step;
        episode.terminated = result.terminated;
        episode.truncated = result.truncated;
        episode.reward = result.reward;
        return { type: 'observation', data: stepData(episode.id, result) };
      }
      case 'state':
        return { type: 'state', data: this.state() };
      case 'close':
        await this.close('closed by the client', 1000);
        return null;
    }
  }

  private send(message: ServerMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(message));
    if (this.ws.bufferedAmount > UNREAD_HIGH_BYTES) this.holdReading();
  }

  /**
   * The client does not read its replies: stop reading its messages (TCP pushes back on it) until
   * the replies it has not taken fall below UNREAD_LOW_BYTES, so a client that only sends cannot
   * grow the server's memory. The idle timeout still applies.
   */
  private holdReading(): void {
    if (this.held) return;
    this.held = true;
    this.ws.pause();
    const check = setInterval(() => {
      if (this.closed || this.ws.readyState !== this.ws.OPEN || this.ws.bufferedAmount < UNREAD_LOW_BYTES) {
        clearInterval(check);
        this.held = false;
        if (!this.closed) this.ws.resume();
      }
    }, 20);
    check.unref();
  }

  private armIdle(): void {
    if (this.closed || this.queued > 0) return;
    this.disarmIdle();
    this.idleTimer = setTimeout(() => {
      this.send(errorMessage('SESSION_ERROR', `No message for ${Math.round(this.settings.idleMs / 1000)} s: the session is closed`));
      void this.close('idle timeout', CLOSE_CODES.idle);
    }, this.settings.idleMs);
    this.idleTimer.unref();
  }

  private disarmIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /**
   * End the session: its env (and so its sandboxes) is closed at once, a running call cancelled.
   * Idempotent.
   */
  async close(reason: string, code = 1000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.disarmIdle();
    log('session %s: closing (%s)', this.id, reason);
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason.slice(0, 120));
    try {
      const env = await this.env.catch(() => undefined);
      await env?.close().catch((err: unknown) => log('session %s: closing the env failed: %O', this.id, err));
    } finally {
      log('session %s: closed', this.id);
      this.settings.onClose(reason);
    }
  }
}

/** The error reply for what a call threw: the client's mistake (a bad instance id) or the env's failure. */
function failureReply(err: unknown): ServerMessage {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof InstanceNotFoundError) return errorMessage('VALIDATION_ERROR', message, { error_code: err.code });
  const extra = err instanceof HybridGymError ? { error_code: err.code } : {};
  return errorMessage('EXECUTION_ERROR', message, extra);
}
