import { describe, expect, it } from 'vitest';
import { ansiCQuote } from '../../../src/sandbox/shell-session.js';
import { killForegroundScript, killSessionScript } from '../../../src/sandbox/shell-transport.js';
import { execFileSync } from 'node:child_process';

describe('ansiCQuote', () => {
  it('round-trips any text through bash as one word', () => {
    const texts = ["it's", 'back\\slash', 'multi\nline\ttab', 'ctrl\x01\x7f', 'ünï 名', '$HOME `x` "q"'];
    for (const t of texts) {
      const out = execFileSync('bash', ['-c', `printf %s ${ansiCQuote(t)}`]).toString();
      expect(out).toBe(t);
    }
  });
});

describe('kill scripts', () => {
  it('refuse pids that would reach processes outside the sandbox', () => {
    for (const pid of [0, 1, -1, Number.NaN]) {
      expect(() => killSessionScript(pid)).toThrow(/refusing/);
      expect(() => killForegroundScript(pid)).toThrow(/refusing/);
    }
    expect(killSessionScript(42)).toContain('= 42 ]');
  });
});
