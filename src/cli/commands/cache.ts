import type { Command } from 'commander';
import { resolve } from 'node:path';
import { cacheUsage, pruneCache } from '../../util/cache-maintenance.js';
import { cacheRoot } from '../../util/json-cache.js';
import { existingDir, wholeNumber } from '../args.js';
import { UsageError } from '../../errors.js';

export function registerCache(program: Command): void {
  const cache = program.command('cache').description('the host cache ($HYBRID_GYM_CACHE, else ~/.cache/hybrid-gym): what it holds, and pruning');
  cache
    .command('info', { isDefault: true })
    .description('files and bytes of each kind of cache, and when each was last used')
    .option('--dir <dir>', 'the cache folder, an existing one (default: $HYBRID_GYM_CACHE, else ~/.cache/hybrid-gym)', existingDir)
    .allowExcessArguments(true)
    .action(async (opts: { dir?: string }, command: Command) => {
      // `info` is the default, so commander hands it any word that is no subcommand.
      const unknown = command.args;
      if (unknown.length > 0) throw new UsageError(`cache: no subcommand "${unknown[0]}" (cache info, or cache prune)`, { option: '<subcommand>' });
      const dir = resolve(opts.dir ?? cacheRoot());
      const kinds = await cacheUsage(dir);
      const files = kinds.reduce((n, k) => n + k.files, 0);
      const bytes = kinds.reduce((n, k) => n + k.bytes, 0);
      process.stdout.write(`${JSON.stringify({ dir, files, bytes, kinds })}\n`);
    });
  cache
    .command('prune')
    .description('remove what no run has written or read for --older-than days (and writes that died an hour ago), or with --all everything; only later runs pay, by rebuilding it')
    .option('--older-than <days>', 'days since last use (whole number >= 1)', wholeNumber(1))
    .option('--all', "every kind's folder, the demo's package included", false)
    .option('--dir <dir>', 'the cache folder, an existing one (default: $HYBRID_GYM_CACHE, else ~/.cache/hybrid-gym)', existingDir)
    .action(async (opts: { olderThan?: number; all: boolean; dir?: string }) => {
      if (opts.all === (opts.olderThan !== undefined)) {
        throw new UsageError('cache prune: give --older-than DAYS or --all (one of them)', { option: '--older-than' });
      }
      const result = await pruneCache({ dir: resolve(opts.dir ?? cacheRoot()), ...(opts.all ? { all: true } : { olderThanDays: opts.olderThan! }) });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });
}
