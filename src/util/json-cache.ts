import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { z } from 'zod';

/** The host's cache folder: `$HYBRID_GYM_CACHE`, else `~/.cache/hybrid-gym`. */
export function cacheRoot(): string {
  return process.env.HYBRID_GYM_CACHE || join(homedir(), '.cache', 'hybrid-gym');
}

/**
 * Marks a cache file as just used, so that pruning by age (`hybrid-gym cache prune`) keeps what is
 * read often; its content is validated on every read, so the time stamp means nothing else. Never throws.
 */
export async function touchCacheFile(file: string): Promise<void> {
  const now = new Date();
  await utimes(file, now, now).catch(() => {});
}

/**
 * A cached JSON file checked with `schema`: undefined when it is missing, is not JSON or does not
 * validate (a cache is rebuilt, never trusted). `why` hears the reason for the last two.
 */
export async function readJsonCache<S extends z.ZodType>(file: string, schema: S, why?: (reason: string) => void): Promise<z.output<S> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    why?.('not JSON');
    return undefined;
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) {
    void touchCacheFile(file);
    return parsed.data;
  }
  why?.(parsed.error.message.slice(0, 300));
  return undefined;
}

/** Write a cache file whole, then rename it: a concurrent reader sees the old file or the new one. */
export async function writeJsonCache(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value)}\n`);
}

/** What a write in progress (or one that died before its rename) adds to its file's name: `.<pid>.<uuid>.tmp`. */
export const TEMP_SUFFIX = '\\.\\d+\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.tmp';

/** A temporary name for a write of `file`, unique to this write, next to it (renamed into place when whole). */
export function tempNameFor(file: string): string {
  return `${file}.${process.pid}.${randomUUID()}.tmp`;
}

/**
 * Write a file whole under a temporary name (unique to this write), then rename it into place,
 * creating its folder: a concurrent reader sees the old file or the new one, never a torn one.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = tempNameFor(file);
  await writeFile(temp, data);
  await rename(temp, file).catch(async (error) => {
    await rm(temp, { force: true });
    throw error;
  });
}
