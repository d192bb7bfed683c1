import cliProgress from 'cli-progress';

/** A progress bar on stderr when it is a terminal; silent otherwise, so stdout stays machine-readable. */
export function progressBar(total: number, label: string): { tick: (reward: number, failed: boolean) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { tick: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {value}/{total} | mean reward {mean} | errors {errors}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let sum = 0;
  let scored = 0;
  let errors = 0;
  bar.start(total, 0, { mean: '-', errors: 0 });
  return {
    tick: (reward, failed) => {
      if (failed) errors++;
      else {
        sum += reward;
        scored++;
      }
      bar.increment(1, { mean: scored ? (sum / scored).toFixed(3) : '-', errors });
    },
    stop: () => bar.stop(),
  };
}
