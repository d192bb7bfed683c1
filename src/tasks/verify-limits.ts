/** How much Python the verifiers take on, and from what size they parse only the changed blocks. */
export interface VerifyLimits {
  /**
   * A changed `.py` file (before or after) larger than this many bytes is not parsed: it is a
   * violation (`too large to verify`), reward 0. @default 10_000_000, or `HYBRID_GYM_VERIFY_MAX_FILE_BYTES`
   */
  maxFileBytes: number;
  /**
   * Files with more characters than this are compared block by block (top-level definitions):
   * only the blocks that changed are parsed. @default 131_072
   */
  blockChars: number;
}

const DEFAULT_MAX_FILE_BYTES = 10_000_000;
const DEFAULT_BLOCK_CHARS = 128 * 1024;

/** The limits for one verification: the given ones over the environment's over the defaults. */
export function verifyLimits(given: Partial<VerifyLimits> = {}): VerifyLimits {
  const env = Number(process.env.HYBRID_GYM_VERIFY_MAX_FILE_BYTES);
  return {
    maxFileBytes: given.maxFileBytes ?? (Number.isInteger(env) && env > 0 ? env : DEFAULT_MAX_FILE_BYTES),
    blockChars: given.blockChars ?? DEFAULT_BLOCK_CHARS,
  };
}

/** The problem of a file over `maxFileBytes`, for the verifiers' details. */
export function tooLargeProblem(bytes: number, limits: VerifyLimits): string {
  return `too large to verify: ${bytes} bytes, over the verifier's limit of ${limits.maxFileBytes} (HYBRID_GYM_VERIFY_MAX_FILE_BYTES)`;
}

/** Buffers arrive from a worker as plain Uint8Arrays: the same bytes as a Buffer, not copied. */
export function asBuffer(bytes: Uint8Array): Buffer;
export function asBuffer(bytes: Uint8Array | undefined): Buffer | undefined;
export function asBuffer(bytes: Uint8Array | undefined): Buffer | undefined {
  if (bytes === undefined || Buffer.isBuffer(bytes)) return bytes as Buffer | undefined;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A file of a verifier's job: its original and final bytes (either absent when added or deleted). */
export interface JobFile {
  path: string;
  original?: Uint8Array;
  final?: Uint8Array;
}

/** A job's files back as the original and final workspaces (of the files it carries). */
export function jobWorkspaces(files: readonly JobFile[]): { original: Map<string, Buffer>; final: Map<string, Buffer> } {
  const original = new Map<string, Buffer>();
  const final = new Map<string, Buffer>();
  for (const f of files) {
    if (f.original) original.set(f.path, asBuffer(f.original));
    if (f.final) final.set(f.path, asBuffer(f.final));
  }
  return { original, final };
}
