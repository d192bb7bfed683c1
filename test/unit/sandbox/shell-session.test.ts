import { describe, expect, it, vi } from 'vitest';
import { ansiCQuote, ShellSession } from '../../../src/sandbox/shell-session.js';
import type { ShellHost } from '../../../src/sandbox/shell-transport.js';
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

describe('the end of a command', () => {
  /** A shell whose every mark comes before its control line, with a prompt after it (as bash's first prompt is). */
  function markFirstHost(): ShellHost {
    return {
      openShell: async () => {
        const data: Array<(c: Buffer) => void> = [];
        const control: Array<(c: Buffer) => void> = [];
        let token = 0;
        const prompt = (output: string): void => {
          const t = token === 0 ? '0' : String(1000 + token);
          token++;
          setImmediate(() => {
            for (const l of data) l(Buffer.from(`${output}\x1eHG${t}\x1ebash-5.2$ `));
            setImmediate(() => {
              for (const l of control) l(Buffer.from(`${t} 0\n`));
            });
          });
        };
        prompt('');
        return {
          write: (line) => prompt(line.includes('__HGPID_') ? '__HGPID_7__' : 'hi\n'),
          onData: (l) => data.push(l),
          onControl: (l) => control.push(l),
          onClose: () => {},
          close: async () => {},
        };
      },
      runScript: async () => ({ exitCode: 0, output: '' }),
      alive: async () => true,
    };
  }

  it('is told by a mark that arrives before its token, text after it: no wait, and the mark is not output', async () => {
    // With no timer running, a wait for a late mark would never end.
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const shell = await ShellSession.open(markFirstHost(), { cwd: '/', env: {}, timeoutMs: 10_000, keepChars: 1_000 });
      const r = await shell.run('echo hi');
      expect(r.output).toBe('hi\n');
      expect(r.exitCode).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
