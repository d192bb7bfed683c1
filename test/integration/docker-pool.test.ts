import { describe, expect, it } from 'vitest';
import { SandboxPool } from '../../src/sandbox/pool.js';
import { blockProvider, dockerReady } from './helpers.js';

describe.runIf(dockerReady())('docker sandboxes: parallel use and the pool', () => {
  const provider = blockProvider();

  it('runs 8 sandboxes in parallel, each isolated from the others', async () => {
    const sandboxes = await Promise.all(Array.from({ length: 8 }, () => provider().create()));
    const outputs = await Promise.all(
      sandboxes.map(async (s, i) => {
        await s.exec(`echo ${i} > /workspace/me && export ME=${i}`);
        return (await s.exec('cat /workspace/me; echo $ME; ls /workspace')).output;
      }),
    );
    expect(outputs).toEqual(sandboxes.map((_, i) => `${i}\n${i}\nme\n`));
    expect(new Set(sandboxes.map((s) => s.id)).size).toBe(8);
    await Promise.all(sandboxes.map((s) => s.close()));
    expect(provider().size).toBe(0);
  });

  it('never hands a sandbox out twice: a released one is closed and a fresh one started', async () => {
    const pool = new SandboxPool(provider(), { warm: 1 });
    await pool.fill();
    const first = await pool.acquire();
    await first.exec('echo secret > /workspace/answer; sleep 1000 &');
    await pool.release(first);
    expect(first.closed).toBe(true);
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const s = await pool.acquire();
      seen.add(s.id);
      expect((await s.exec('ls -A /workspace; pgrep -fc "sleep 1000" || true')).output).toBe('0\n');
      await pool.release(s);
    }
    expect(seen.has(first.id)).toBe(false);
    expect(seen.size).toBe(3);
    await pool.close();
    expect(provider().size).toBe(0);
  });

  it('acquire() fails with a SandboxError instead of waiting forever', async () => {
    const pool = new SandboxPool(provider(), { warm: 1, max: 1, acquireTimeoutMs: 1500 });
    await pool.fill();
    const held = await pool.acquire();
    await expect(pool.acquire()).rejects.toThrow(/No sandbox was ready within/);
    await pool.release(held);
    await pool.close();
    await expect(pool.acquire()).rejects.toThrow(/closed/);
  });

  it('close() is safe to call twice and works with await using', async () => {
    const s = await provider().create();
    await s.close();
    await s.close();
    await expect(s.exec('true')).rejects.toThrow(/closed/);
    {
      await using scoped = await provider().create();
      expect((await scoped.exec('echo scoped')).output).toBe('scoped\n');
    }
    expect(provider().size).toBe(0);
  });
});
