import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { StopWatch } from '../../../src/sandbox/docker/stop-watch.js';

// The engine's event stream stands in as a PassThrough: what StopWatch makes of the events is pure logic
// (the engine's own events are in test/integration/adversarial/episodes.test.ts: docker kill, docker
// stop, and PID 1 stopped from inside).
async function watchOf(): Promise<{ watch: StopWatch; events: PassThrough; filters: () => unknown }> {
  const events = new PassThrough();
  let asked: unknown;
  const docker = {
    getEvents: async (opts: { filters: unknown }) => {
      asked = opts.filters;
      return events;
    },
  } as unknown as Docker;
  return { watch: await StopWatch.start(docker), events, filters: () => asked };
}

const event = (Action: string, id: string): string => `${JSON.stringify({ Type: 'container', Action, Actor: { ID: id } })}\n`;

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

  it('cannot tell, and says so, when no die comes in time, when the stream ends, or for a container it never watched', async () => {
    const { watch, events } = await watchOf();
    watch.watch('a');
    watch.watch('b');
    await expect(watch.askedToStop('a', 30)).rejects.toThrow(/no 'die' event/);
    const waiting = watch.askedToStop('b', 5_000);
    events.end();
    await expect(waiting).rejects.toThrow(/event stream/);
    await expect(watch.askedToStop('b')).rejects.toThrow(/event stream/);
    await expect(watch.askedToStop('c')).rejects.toThrow(/not watched/);
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
