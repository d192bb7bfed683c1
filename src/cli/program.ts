import { Command } from 'commander';
import { packageVersion } from '../image/package-root.js';
import { registerBench } from './commands/bench.js';
import { registerCache } from './commands/cache.js';
import { registerDemo } from './commands/demo.js';
import { registerExport } from './commands/export.js';
import { registerGc } from './commands/gc.js';
import { registerImage } from './commands/image.js';
import { registerServe } from './commands/serve.js';
import { registerTaskCommands } from './commands/task-commands.js';
import { formatCommanderError } from './report-error.js';

/**
 * The command line. Every command is strict (unknown options and extra arguments are errors), and
 * every parse error is one line on stderr with exit code 2, through `reportError`.
 */
export function createProgram(): Command {
  const program = new Command()
    .name('hybrid-gym')
    .description('Gym-style environments for coding agents over synthetic tasks from real repositories')
    .version(packageVersion(), '-V, --version', 'print the version');

  registerDemo(program);
  registerTaskCommands(program);
  registerServe(program);
  registerImage(program);
  registerBench(program);
  registerGc(program);
  registerCache(program);
  registerExport(program);

  // Settings are copied to subcommands only when they are created, so apply them to the whole tree now.
  const configure = (cmd: Command, path: string): void => {
    cmd.exitOverride();
    cmd.configureOutput({ outputError: (text, write) => write(formatCommanderError(text, path)) });
    for (const sub of cmd.commands) configure(sub, `${path} ${sub.name()}`);
  };
  configure(program, program.name());
  return program;
}
