import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import createDebug from 'debug';
import type { Definition, SkippedFile, SourceFile } from '../types.js';
import { ByteOffsets } from './byte-offsets.js';
import { collectSymbols } from './collect.js';
import { discoverPythonFiles, ModuleTable } from './discover.js';
import { extractDefinitions } from './definitions.js';
import { parsePython } from './parser.js';
import { decodeSource } from './read-source.js';
import { PythonRepoIndex } from './repo-index.js';
import type { FileSymbols } from './scopes.js';

const log = createDebug('hybrid-gym:analysis');

export interface PythonIndexOptions {
  maxFileBytes: number;
}

type Loaded = { file: string; bytes?: Buffer; skip?: SkippedFile };

async function load(root: string, file: string, maxFileBytes: number): Promise<Loaded> {
  try {
    const full = path.join(root, file);
    const size = (await stat(full)).size;
    if (size > maxFileBytes) return { file, skip: { file, reason: 'too-large', detail: `${size} bytes > ${maxFileBytes}` } };
    return { file, bytes: await readFile(full) };
  } catch (err) {
    return { file, skip: { file, reason: 'unreadable', detail: (err as Error).message } };
  }
}

/** Indexes every Python file of a repository: definitions, scopes, imports and call sites. */
export async function indexPythonRepo(rootDir: string, options: PythonIndexOptions): Promise<PythonRepoIndex> {
  const root = path.resolve(rootDir);
  const started = Date.now();
  const files = await discoverPythonFiles(root);
  const table = new ModuleTable(files, path.basename(root));
  const sources: SourceFile[] = [];
  const definitions: Definition[] = [];
  const skipped: SkippedFile[] = [];
  const symbols = new Map<string, FileSymbols>();
  // Reads run a few files ahead of parsing, which is synchronous CPU work.
  const AHEAD = 8;
  const pending: Promise<Loaded>[] = files.slice(0, AHEAD).map((f) => load(root, f, options.maxFileBytes));
  for (let i = 0; i < files.length; i++) {
    const loaded = await (pending[i] as Promise<Loaded>);
    const next = files[i + AHEAD];
    if (next !== undefined) pending.push(load(root, next, options.maxFileBytes));
    pending[i] = Promise.resolve({ file: loaded.file }); // Lets the buffer go.
    if (loaded.skip || !loaded.bytes) {
      if (loaded.skip) skipped.push(loaded.skip);
      continue;
    }
    const decoded = decodeSource(loaded.bytes);
    if (!decoded.ok) {
      skipped.push({ file: loaded.file, reason: decoded.reason, detail: decoded.detail });
      continue;
    }
    let parsed;
    try {
      parsed = parsePython(decoded.text, { full: false });
    } catch (err) {
      skipped.push({ file: loaded.file, reason: 'parse-failed', detail: (err as Error).message });
      continue;
    }
    const file = loaded.file;
    const key = table.keyOfFile.get(file) ?? file;
    const entry = table.byKey.get(key);
    const module = entry?.file === file ? entry.name : null;
    const { definitions: defs, byNode } = extractDefinitions(
      parsed.root, parsed.text, file, module, new ByteOffsets(parsed.text, decoded.bomBytes),
    );
    definitions.push(...defs);
    symbols.set(file, collectSymbols(parsed.root, parsed.text, file, table, byNode));
    sources.push({
      file, module, isPackage: /(^|\/)__init__\.py$/.test(file), encoding: decoded.encoding,
      hasErrors: parsed.hasErrors,
      lineCount: parsed.text.split('\n').length, byteLength: loaded.bytes.length,
    });
  }
  log('indexed %d files (%d skipped), %d definitions in %d ms', sources.length, skipped.length, definitions.length, Date.now() - started);
  return new PythonRepoIndex(root, sources, definitions, skipped, symbols, table);
}
