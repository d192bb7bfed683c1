import { writeFileSync } from 'node:fs';
import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { readEpisodeFile } from '../../rollout/episode-file.js';
import { describeExport, EXPORT_FORMATS, exportEpisodes, type ExportFormat } from '../../rollout/export/index.js';
import { existingFile, oneOf, outputFile, wholeNumber } from '../args.js';

/** A finite number written as decimal digits (`1`, `0.5`, `-1`); `1e3`, `0x10`, `.5x` are refused. */
function decimal(value: string): number {
  const n = /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) throw new InvalidArgumentError('Expected a number, such as 1 or 0.5.');
  return n;
}

const BASH_NAMES = ['bash', 'execute_bash'] as const;
const REASONING = ['omit', 'think'] as const;

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write the episodes of a trajectories file (run --out) as training data, one JSON line each')
    .addArgument(new Argument('<trajectories>', 'trajectories file (.jsonl, as run --out writes it)').argParser(existingFile))
    .addOption(new Option('--format <format>', `the training format: ${EXPORT_FORMATS.join(' | ')}`).argParser(oneOf(EXPORT_FORMATS)).makeOptionMandatory())
    .option('--min-reward <r>', 'leave out episodes whose reward is below r (a number)', decimal)
    .option('--max-turns <t>', 'leave out episodes with more than t assistant turns (whole number >= 1)', wholeNumber(1))
    .addOption(new Option('--bash-name <name>', `the shell tool's name: ${BASH_NAMES.join(' | ')} (default: the episode's; openhands: execute_bash)`).argParser(oneOf(BASH_NAMES)))
    .addOption(new Option('--reasoning <mode>', `the model's separate reasoning: ${REASONING.join(' | ')} (think: <think>...</think> before the text)`).argParser(oneOf(REASONING)).default('omit'))
    .option('--out <file>', 'write the lines here instead of stdout (its folder must exist)', outputFile)
    .action(
      (
        path: string,
        opts: { format: ExportFormat; minReward?: number; maxTurns?: number; bashName?: (typeof BASH_NAMES)[number]; reasoning: (typeof REASONING)[number]; out?: string },
      ) => {
        // A bad line throws here, naming it, before anything is written.
        const { episodes, droppedPartial } = readEpisodeFile(path);
        const result = exportEpisodes(episodes, {
          format: opts.format,
          ...(opts.minReward !== undefined && { minReward: opts.minReward }),
          ...(opts.maxTurns !== undefined && { maxTurns: opts.maxTurns }),
          ...(opts.bashName !== undefined && { bashName: opts.bashName }),
          reasoning: opts.reasoning,
        });
        const text = result.lines.map((l) => `${l}\n`).join('');
        if (opts.out !== undefined) writeFileSync(opts.out, text);
        else process.stdout.write(text);
        const cut = droppedPartial ? '; its last line was cut (a killed run) and was skipped' : '';
        process.stderr.write(`hybrid-gym: export ${opts.format}: ${describeExport(result, episodes.length)}${cut}${opts.out !== undefined ? ` -> ${opts.out}` : ''}\n`);
      },
    );
}
