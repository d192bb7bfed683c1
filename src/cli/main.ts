import { Command } from 'commander';
import { HybridGymError } from '../errors.js';
import { registerBench } from './commands/bench.js';
import { registerDemo } from './commands/demo.js';
import { registerGc } from './commands/gc.js';
import { registerImage } from './commands/image.js';
import { registerTaskCommands } from './commands/task-commands.js';

const program = new Command()
  .name('hybrid-gym')
  .description('Gym-style environments for coding agents over synthetic tasks from real repositories')
  .showHelpAfterError();

registerDemo(program);
registerTaskCommands(program);
registerImage(program);
registerBench(program);
registerGc(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  // Our own errors carry a message meant for the user; anything else is a bug worth a stack.
  if (err instanceof HybridGymError) process.stderr.write(`hybrid-gym: ${err.message}\n`);
  else process.stderr.write(`hybrid-gym: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
