/**
 * The process's Node flags for a worker thread, without those a worker refuses: a program started
 * as `node --input-type=module -e ...` (or `--input-type module`) had every worker fail to start.
 */
export function workerExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--input-type') i++;
    else if (!a.startsWith('--input-type=')) out.push(a);
  }
  return out;
}
