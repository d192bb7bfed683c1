/** Progress lines on stderr when it is a terminal (or when forced); stdout stays machine-readable. */
export function makeProgress(force = false): (line: string) => void {
  const on = force || process.stderr.isTTY === true || process.env.HYBRID_GYM_PROGRESS === '1';
  return on ? (line) => process.stderr.write(`${line}\n`) : () => {};
}
