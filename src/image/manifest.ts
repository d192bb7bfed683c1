import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import createDebug from 'debug';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { z } from 'zod';
import { EngineUnavailableError, ImageBuildError } from '../errors.js';
import { cacheRoot, readJsonCache, writeJsonCache } from '../util/json-cache.js';
import { buildHint, IMAGE_WORKDIR } from './default-image.js';
import { MANIFEST_HASH_LENGTH, MANIFEST_SCRIPT } from './manifest-script.js';

const debug = createDebug('hybrid-gym:image');

/** Bumped whenever the script or the schema changes: older cached manifests are rebuilt. */
export const MANIFEST_VERSION = 1;

const hash = z.string().regex(/^[0-9a-f]+$/);
/** One definition: `[qualname, line, docstring hash | null, body hash | null]`. */
const DefSchema = z.tuple([z.string(), z.number().int().positive(), hash.nullable(), hash.nullable()]);

export const ManifestFileSchema = z.object({
  /** Absolute path in the image; a member of an archive is `archive!/member`. */
  path: z.string().min(1),
  size: z.number().int().min(0),
  /** sha256 of the bytes (empty for an archive that could not be read). */
  sha256: z.union([z.string().regex(/^[0-9a-f]{64}$/), z.literal('')]),
  /** Functions, methods and classes of a parsed `.py`/`.pyi` file. */
  defs: z.array(DefSchema).optional(),
  /** Why a file was not parsed (SyntaxError, too large...). */
  error: z.string().optional(),
});
export type ManifestFile = z.infer<typeof ManifestFileSchema>;

/** What an image holds of source code: read by generators to drop answers the agent could find in it. */
export const ImageManifestSchema = z.object({
  version: z.literal(MANIFEST_VERSION),
  /** The engine's image id (`sha256:...`), which the cache is keyed by. */
  imageId: z.string().min(1),
  /** The reference it was made for (a tag, or the id). */
  image: z.string().min(1),
  /** The image's Python (`3.11.2`), or null when it has none. */
  python: z.string().nullable(),
  hashLength: z.literal(MANIFEST_HASH_LENGTH),
  createdAt: z.string(),
  /** How long the walk took. */
  durationMs: z.number().min(0),
  files: z.array(ManifestFileSchema),
});
export type ImageManifest = z.infer<typeof ImageManifestSchema>;

/** Options of {@link imageManifest}. */
export interface ImageManifestOptions {
  /** Engine client. @default new Docker() (honours DOCKER_HOST) */
  docker?: Docker;
  /** Cache folder. @default $HYBRID_GYM_CACHE, else ~/.cache/hybrid-gym */
  cacheDir?: string;
  /** Walk the image again even when a cached manifest exists. @default false */
  rebuild?: boolean;
  /** The folder the manifest leaves out (episodes' workspaces are mounted there). @default /workspace */
  workdir?: string;
  /** A status line when the manifest is built (a few seconds). */
  onProgress?: (line: string) => void;
}

/** The host's cache folder: `$HYBRID_GYM_CACHE`, else `~/.cache/hybrid-gym`. */
export const cacheDir = cacheRoot;

/** Where the manifest of an image id is cached: `<cache>/images/<hex of the id>.json`. */
export function manifestPath(imageId: string, dir: string = cacheDir()): string {
  return path.join(dir, 'images', `${imageId.replace(/^sha256:/, '').replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
}

/**
 * The manifest of an image (a tag or id): from the host's cache when there is a valid one for the
 * image's id, else made by running a network-less container of the image with our Python script
 * (seconds for the default image) and cached. A cached file that does not validate is rebuilt.
 * Works for any image with python3 (bring your own); throws {@link ImageBuildError} otherwise.
 */
export async function imageManifest(image: string, options: ImageManifestOptions = {}): Promise<ImageManifest> {
  const docker = options.docker ?? (await defaultDocker());
  const imageId = await inspectId(docker, image);
  const file = manifestPath(imageId, options.cacheDir);
  if (!options.rebuild) {
    const cached = await readManifest(file);
    if (cached && cached.imageId === imageId) return cached;
  }
  options.onProgress?.(`manifest: listing the source files of ${image}`);
  const manifest = await buildManifest(docker, image, imageId, options.workdir ?? IMAGE_WORKDIR);
  await writeManifest(file, manifest);
  options.onProgress?.(`manifest: ${manifest.files.length} source files of ${image} (${manifest.durationMs} ms) -> ${file}`);
  return manifest;
}

/** Options of {@link hostManifest}. */
export interface HostManifestOptions {
  /** The host's Python. @default 'python3' */
  python?: string;
  cacheDir?: string;
  rebuild?: boolean;
  onProgress?: (line: string) => void;
}

/**
 * The manifest of the host, for the `local` sandbox (whose "image" is the host): the source files
 * of the host Python's standard library and site-packages (the places an agent on the host finds
 * answers, as in an image), cached under an id made of the interpreter, its paths and their
 * modification times (`host-<hash>`). Throws {@link ImageBuildError} when there is no such Python.
 */
export async function hostManifest(options: HostManifestOptions = {}): Promise<ImageManifest> {
  const python = options.python ?? 'python3';
  const probe = await execa(python, ['-I', '-c', HOST_PATHS_SCRIPT], { reject: false });
  if (probe.exitCode !== 0) {
    throw new ImageBuildError(`The host's ${python} did not run (${String(probe.stderr || probe.shortMessage).split('\n')[0]}); it is what the local sandbox gives the agent.`);
  }
  const info = JSON.parse(probe.stdout) as { executable: string; version: string; roots: string[] };
  const roots: string[] = [];
  const stamps: Array<[string, number]> = [];
  for (const root of [...new Set(info.roots)].sort()) {
    const s = await stat(root).catch(() => null);
    if (s?.isDirectory()) {
      roots.push(root);
      stamps.push([root, s.mtimeMs]);
    }
  }
  const key = createHash('sha256').update(JSON.stringify([MANIFEST_VERSION, info.executable, info.version, stamps])).digest('hex').slice(0, 24);
  const imageId = `host-${key}`;
  const name = `the host (${info.executable})`;
  const file = manifestPath(imageId, options.cacheDir);
  if (!options.rebuild) {
    const cached = await readManifest(file);
    if (cached && cached.imageId === imageId) return cached;
  }
  options.onProgress?.(`manifest: listing the source files of ${name}: ${roots.join(', ')}`);
  const started = performance.now();
  const run = await execa(python, ['-I', '-S', '-B', '-c', MANIFEST_SCRIPT, '/nonexistent-workdir', ...roots], { reject: false, maxBuffer: 512 * 1024 * 1024 });
  if (run.exitCode !== 0) throw new ImageBuildError(`The manifest of ${name} could not be made: ${String(run.stderr).trim().split('\n').slice(-3).join(' | ')}`);
  const manifest = parseManifestOutput(run.stdout, { imageId, image: name, durationMs: Math.round(performance.now() - started) });
  await writeManifest(file, manifest);
  options.onProgress?.(`manifest: ${manifest.files.length} source files of ${name} (${manifest.durationMs} ms) -> ${file}`);
  return manifest;
}

const HOST_PATHS_SCRIPT = `
import json, site, sys, sysconfig
paths = sysconfig.get_paths()
roots = [paths[k] for k in ('stdlib', 'platstdlib', 'purelib', 'platlib') if k in paths]
try:
    roots += site.getsitepackages() + [site.getusersitepackages()]
except Exception:
    pass
roots += [p for p in sys.path if p and not p.endswith('.zip')]
print(json.dumps({'executable': sys.executable, 'version': sys.version.split()[0], 'roots': roots}))
`;

/** Caches a manifest; a cache that cannot be written (read-only, pruned meanwhile) costs the next run a rebuild, never this one its manifest. */
async function writeManifest(file: string, manifest: ImageManifest): Promise<void> {
  await writeJsonCache(file, manifest).catch((err: Error) => debug('could not cache the manifest at %s: %s', file, err.message));
}

/** A cached manifest, or undefined when it is missing or does not validate (it is then rebuilt). */
export function readManifest(file: string): Promise<ImageManifest | undefined> {
  return readJsonCache(file, ImageManifestSchema, (reason) => debug('cached manifest %s is not usable: %s', file, reason));
}

/** Parses the script's JSON lines into a manifest (exported for tests). */
export function parseManifestOutput(output: string, meta: { imageId: string; image: string; durationMs: number }): ImageManifest {
  let python: string | null = null;
  const files: ManifestFile[] = [];
  for (const line of output.split('\n')) {
    if (!line.trim()) continue;
    const value = JSON.parse(line) as Record<string, unknown>;
    if (typeof value.python === 'string') python = value.python;
    else files.push(ManifestFileSchema.parse(value));
  }
  return ImageManifestSchema.parse({
    version: MANIFEST_VERSION,
    imageId: meta.imageId,
    image: meta.image,
    python,
    hashLength: MANIFEST_HASH_LENGTH,
    createdAt: new Date().toISOString(),
    durationMs: meta.durationMs,
    files,
  });
}

/** Lookups over a manifest's hashes, built once. */
export interface ManifestIndex {
  manifest: ImageManifest;
  /** The files holding a docstring (by hash), `path:qualname` of the first. */
  docstring(hash: string): string | undefined;
  body(hash: string): string | undefined;
  /**
   * The image file that is this repository file in another copy (its path ends with the last two
   * or more segments of the file's relative path: `pkg/mod.py`, whatever folder holds `pkg`) and
   * defines `qualname`; undefined otherwise, and always for a file at the repository's top level.
   */
  definitionIn(file: string, qualname: string): string | undefined;
}

export function indexManifest(manifest: ImageManifest): ManifestIndex {
  const docstrings = new Map<string, string>();
  const bodies = new Map<string, string>();
  for (const f of manifest.files) {
    for (const [qualname, , doc, body] of f.defs ?? []) {
      if (doc && !docstrings.has(doc)) docstrings.set(doc, `${f.path}:${qualname}`);
      if (body && !bodies.has(body)) bodies.set(body, `${f.path}:${qualname}`);
    }
  }
  const byName = new Map<string, Array<{ path: string; qualnames: Set<string> }>>();
  for (const f of manifest.files) {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    const list = byName.get(name) ?? [];
    if (list.length === 0) byName.set(name, list);
    list.push({ path: f.path, qualnames: new Set((f.defs ?? []).map((d) => d[0])) });
  }
  const definitionIn = (file: string, qualname: string): string | undefined => {
    // Every tail of two or more segments (`pkg/mod.py` for `python/pkg/mod.py` or `src/pkg/mod.py`):
    // a bare file name (`utils.py`) would match unrelated modules of every package.
    const parts = file.split('/');
    const tails = parts.slice(0, -1).map((_, k) => `/${parts.slice(k).join('/')}`);
    return byName.get(file.slice(file.lastIndexOf('/') + 1))?.find((f) => f.qualnames.has(qualname) && tails.some((t) => f.path.endsWith(t)))?.path;
  };
  return { manifest, docstring: (h) => docstrings.get(h), body: (h) => bodies.get(h), definitionIn };
}

async function buildManifest(docker: Docker, image: string, imageId: string, workdir: string): Promise<ImageManifest> {
  const started = performance.now();
  let container: Docker.Container | undefined;
  try {
    container = await docker.createContainer({
      Image: imageId,
      Entrypoint: ['python3', '-I', '-S', '-B', '-c', MANIFEST_SCRIPT, workdir],
      Cmd: [],
      User: '0',
      Labels: { 'hybrid-gym': 'true', 'hybrid-gym.manifest': image },
      NetworkDisabled: true,
      HostConfig: { NetworkMode: 'none', AutoRemove: false },
    });
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as Buffer;
    const { stdout, stderr } = demux(logs);
    if (StatusCode !== 0) {
      const hint = /python3.*(not found|no such file)/i.test(stderr) ? ' (the image has no python3)' : '';
      throw new ImageBuildError(`The manifest of ${image} could not be made${hint}: exit ${StatusCode}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    return parseManifestOutput(stdout, { imageId, image, durationMs: Math.round(performance.now() - started) });
  } catch (error) {
    if (error instanceof ImageBuildError) throw error;
    const message = (error as Error).message;
    const hint = /executable file not found|no such file/i.test(message) ? ' (the image has no python3)' : '';
    throw new ImageBuildError(`The manifest of ${image} could not be made${hint}: ${message.split('\n')[0]}`, { cause: error });
  } finally {
    await container?.remove({ force: true }).catch(() => {});
  }
}

async function inspectId(docker: Docker, image: string): Promise<string> {
  try {
    return (await docker.getImage(image).inspect()).Id;
  } catch (error) {
    const e = error as { statusCode?: number; code?: string };
    if (e.statusCode === 404) {
      throw new ImageBuildError(`The image ${image} is not on this engine. ${buildHint(image)}`, { cause: error });
    }
    if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'ETIMEDOUT') {
      throw new EngineUnavailableError(engineEndpoint(docker), error);
    }
    throw error;
  }
}

function engineEndpoint(docker: Docker): string {
  const modem = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown };
  if (typeof modem.socketPath === 'string') return `unix://${modem.socketPath}`;
  return `${String(modem.protocol ?? 'http')}://${String(modem.host)}:${String(modem.port ?? '')}`;
}

async function defaultDocker(): Promise<Docker> {
  const { default: DockerClient } = await import('dockerode');
  return new DockerClient();
}

/** Splits a non-TTY log stream (8-byte frame headers: stream, 0, 0, 0, big-endian size). */
function demux(buffer: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  for (let at = 0; at + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(at + 4);
    (buffer[at] === 2 ? err : out).push(buffer.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
