/** Resources the CLI must close when the user presses Ctrl-C or the process is told to stop. */
const closers = new Set<() => Promise<void>>();
let installed = false;

/** Register `close`; the returned function unregisters it. */
export function closeOnExit(close: () => Promise<void>): () => void {
  install();
  closers.add(close);
  return () => closers.delete(close);
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nhybrid-gym: ${signal}, closing sandboxes...\n`);
      // A second signal while closing exits at once.
      process.once(signal, () => process.exit(130));
      void Promise.allSettled([...closers].map((c) => c())).then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}

/**
 * A reader that went away (`hybrid-gym run … | head -1`) ends the command quietly, as it would a
 * Unix filter: the sandboxes are closed and the process exits 0, with no stack trace of a write
 * that had nowhere to go. Any other error on stdout is reported as usual.
 */
export function endWhenStdoutCloses(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    void Promise.allSettled([...closers].map((c) => c())).then(() => process.exit(0));
  });
}
