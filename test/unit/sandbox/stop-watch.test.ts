import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { StopWatch } from '../../../src/sandbox/docker/stop-watch.js';

// The engine's event stream stands in as a PassThrough: what StopWatch makes of the events is pure logic
// (the engine's own events are in test/integration/adversarial/episodes.test.ts: docker kill, docker
// stop, and PID 1 stopped from inside).
async function watchOf(refuseAfter = Infinity): Promise<{ watch: StopWatch; events: PassThrough; filters: () => unknown; calls: Array<{ since?: number }>; latest: () => PassThrough }> {
  const streams: PassThrough[] = [];
  const calls: Array<{ since?: number; filters: unknown }> = [];
  const docker = {
    getEvents: async (opts: { since?: number; filters: unknown }) => {
      calls.push(opts);
      if (calls.length > refuseAfter) throw new Error('connect ECONNREFUSED');
      streams.push(new PassThrough());
      return streams.at(-1);
    },
  } as unknown as Docker;
  const watch = await StopWatch.start(docker);
  return { watch, events: streams[0]!, filters: () => calls[0]!.filters, calls, latest: () => streams.at(-1)! };
}

const event = (Action: string, id: string, timeNano = 1_700_000_000_500_000_000): string =>
  `${JSON.stringify({ Type: 'container', Action, Actor: { ID: id }, timeNano })}\n`;

describe('StopWatch', () => {
  it('follows only kill, stop and die of this process’s containers', async () => {
    const { filters } = await watchOf();
    expect(filters()).toMatchObject({ type: ['container'], event: ['kill', 'stop', 'die'], label: [expect.stringMatching(/^hybrid-gym\.session=/)] });
  });

  it('a die with no kill before it is a stop nobody asked the engine for', async () => {
    const { watch, events } = await watchOf();
    watch.watch('a');
    events.write(event('die', 'a'));
    expect(await watch.askedToStop('a')).toBe(false);
  });

  it('a kill (docker kill, stop, rm -f) before the die is a stop asked for', async () => {
    const { watch, events } = await watchOf();
    watch.watch('a');
    watch.watch('b');
    events.write(event('kill', 'a'));
    events.write(event('die', 'a'));
    events.write(event('die', 'b'));
    expect(await watch.askedToStop('a')).toBe(true);
    expect(await watch.askedToStop('b')).toBe(false);
  });

  it('waits for a die the engine has not sent yet (inspect can say stopped first)', async () => {
    const { watch, events } = await watchOf();
    watch.watch('a');
    const answer = watch.askedToStop('a', 2_000);
    events.write(event('kill', 'a'));
    setTimeout(() => events.write(event('die', 'a')), 50);
    expect(await answer).toBe(true);
  });

  it('cannot tell, and says so, when no die comes in time, or for a container it never watched', async () => {
    const { watch } = await watchOf();
    watch.watch('a');
    await expect(watch.askedToStop('a', 30)).rejects.toThrow(/no 'die' event/);
    await expect(watch.askedToStop('c')).rejects.toThrow(/not watched/);
  });

  it('follows again from the last event’s second when the stream breaks, and sees what came meanwhile', async () => {
    const { watch, events, calls, latest } = await watchOf();
    watch.watch('a');
    events.write(event('kill', 'a', 1_700_000_123_900_000_000));
    const answer = watch.askedToStop('a', 2_000);
    events.end();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(2);
    expect(calls[1]!.since).toBe(1_700_000_123);
    latest().write(event('die', 'a'));
    expect(await answer).toBe(true);
  });

  it('gives up, and says so, when following again fails or the stream breaks twice within 10 s', async () => {
    const refused = await watchOf(1);
    refused.watch.watch('a');
    const waiting = refused.watch.askedToStop('a', 5_000);
    refused.events.end();
    await expect(waiting).rejects.toThrow(/ECONNREFUSED/);
    await expect(refused.watch.askedToStop('a')).rejects.toThrow(/ECONNREFUSED/);

    const flaky = await watchOf();
    flaky.watch.watch('b');
    flaky.events.end();
    await new Promise((r) => setTimeout(r, 20));
    const again = flaky.watch.askedToStop('b', 5_000);
    flaky.latest().end();
    await expect(again).rejects.toThrow(/event stream/);
  });

  it('events of containers it does not watch, and lines that are not events, change nothing', async () => {
    const { watch, events } = await watchOf();
    watch.watch('a');
    events.write('not json\n');
    events.write(event('kill', 'other'));
    events.write(event('die', 'a'));
    expect(await watch.askedToStop('a')).toBe(false);
  });

  it('a container forgotten while asked about is not known any more', async () => {
    const { watch } = await watchOf();
    watch.watch('a');
    const waiting = watch.askedToStop('a', 5_000);
    watch.forget('a');
    await expect(waiting).rejects.toThrow(/no 'die' event/);
    watch.close();
  });
});
