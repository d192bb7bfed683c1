import type { Command } from 'commander';
import { createProvider, type SandboxKind } from '../../sandbox/create-provider.js';
import { closeOnExit } from '../lifecycle.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('a short tour: start a sandbox, run commands in its persistent shell, show what came back')
    .option('--sandbox <kind>', 'docker | local', 'docker')
    .action(async (opts: { sandbox: SandboxKind }) => {
      const out = (s: string): boolean => process.stdout.write(`${s}\n`);
      const provider = await createProvider(opts.sandbox);
      const unregister = closeOnExit(() => provider.close());
      try {
        let t = performance.now();
        const sandbox = await provider.create();
        out(`sandbox ${sandbox.id.slice(0, 12)} (${provider.name}) ready in ${Math.round(performance.now() - t)} ms`);
        for (const command of [
          'cd /tmp && export GREETING=hello',
          'echo "$GREETING from $(pwd) on $(python3 --version)"',
          'python3 -c "import socket; socket.create_connection((\'1.1.1.1\', 80), timeout=2)" 2>&1 | tail -1',
          'sleep 30',
        ]) {
          t = performance.now();
          const r = await sandbox.exec(command, { timeoutMs: 2_000 });
          out(`$ ${command}`);
          if (r.output) out(r.output.replace(/\n$/, ''));
          out(`  -> exit ${r.exitCode} in ${Math.round(performance.now() - t)} ms${r.notice ? ` (${r.notice})` : ''}`);
        }
      } finally {
        unregister();
        await provider.close();
      }
    });
}
