import WebSocket from 'ws';
import { make } from '../env/registry.js';
import { serve } from '../serve/server.js';
import type { SandboxPool } from '../sandbox/pool.js';
import { BENCH_INSTANCES, benchTask } from './env-bench.js';
import { median, round3 } from './stats.js';

export interface ServeBenchResult {
  /** Median ms of a trivial bash step sent over `/ws` and answered (round trip, on loopback). */
  wsStepMs: number;
  /** Median ms of the same step through `env.step` in this process, sampled alternately with the one above. */
  localStepMs: number;
  /** wsStepMs - localStepMs: what the protocol adds to a step. */
  wsOverheadMs: number;
}

/** One message out, its reply back. */
function roundTrip(ws: WebSocket, message: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => reject(err);
    ws.once('error', fail);
    ws.once('message', (data) => {
      ws.off('error', fail);
      resolve(JSON.parse(data.toString()));
    });
    ws.send(JSON.stringify(message));
  });
}

/**
 * The per-step cost of serving: a trivial bash step over WebSocket (a served session) beside the
 * same step through `env.step` (an env of this process), sampled in turns so both see the same load.
 */
export async function benchServeStep(pool: SandboxPool, steps: number): Promise<ServeBenchResult> {
  const server = await serve({ env: benchTask, instances: BENCH_INSTANCES, port: 0, maxSteps: steps + 100, prepareNext: false });
  const env = await make(benchTask, { instances: BENCH_INSTANCES, pool, maxSteps: steps + 100, prepareNext: false });
  const ws = new WebSocket(server.wsUrl);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await roundTrip(ws, { type: 'reset', data: { seed: 0 } });
    await env.reset({ seed: 0 });
    const action = { tool: 'bash', input: { command: 'true' } };
    const wsTimes: number[] = [];
    const localTimes: number[] = [];
    for (let i = 0; i < steps + 5; i++) {
      let t = performance.now();
      await roundTrip(ws, { type: 'step', data: action });
      const w = performance.now() - t;
      t = performance.now();
      await env.step(action);
      const l = performance.now() - t;
      // The first few warm up both paths.
      if (i >= 5) {
        wsTimes.push(w);
        localTimes.push(l);
      }
    }
    const wsStepMs = round3(median(wsTimes));
    const localStepMs = round3(median(localTimes));
    return { wsStepMs, localStepMs, wsOverheadMs: round3(wsStepMs - localStepMs) };
  } finally {
    ws.close();
    await env.close();
    await server.close();
  }
}
