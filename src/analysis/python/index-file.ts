import type { Definition, SkippedFile, SourceFile } from '../types.js';
import { ByteOffsets } from './byte-offsets.js';
import { collectSymbols } from './collect.js';
import { extractDefinitions } from './definitions.js';
import type { ModuleTable } from './discover.js';
import { parsePython } from './parser.js';
import { decodeSource } from './read-source.js';
import type { FileSymbols } from './scopes.js';

/** What the index learns from one file: plain data, so it crosses worker threads and is cached as is. */
export type FileResult =
  | { file: string; skip: SkippedFile }
  | { file: string; source: SourceFile; definitions: Definition[]; symbols?: FileSymbols };

/**
 * Indexes one file's bytes: decode, parse, definitions, and with `calls` the scopes, imports and
 * call sites that resolution reads. Without `calls` only an outline is parsed (about half the work).
 */
export function indexFile(file: string, bytes: Buffer, table: ModuleTable, calls: boolean): FileResult {
  const decoded = decodeSource(bytes);
  if (!decoded.ok) return { file, skip: { file, reason: decoded.reason, detail: decoded.detail } };
  let parsed;
  try {
    parsed = parsePython(decoded.text, calls ? { full: false } : { outline: true });
  } catch (err) {
    return { file, skip: { file, reason: 'parse-failed', detail: (err as Error).message } };
  }
  const key = table.keyOfFile.get(file) ?? file;
  const entry = table.byKey.get(key);
  const module = entry?.file === file ? entry.name : null;
  try {
    const { definitions, byNode } = extractDefinitions(parsed.root, parsed.text, file, module, new ByteOffsets(parsed.text, decoded.bomBytes));
    const source: SourceFile = {
      file, module, isPackage: /(^|\/)__init__\.py$/.test(file), encoding: decoded.encoding,
      hasErrors: parsed.hasErrors,
      lineCount: lineCount(parsed.text), byteLength: bytes.length,
    };
    if (!calls) return { file, source, definitions };
    return { file, source, definitions, symbols: collectSymbols(parsed.root, parsed.text, file, table, byNode) };
  } catch (err) {
    // A tree the analysis cannot read costs that file, not the repository's index.
    return { file, skip: { file, reason: 'parse-failed', detail: `analysis failed: ${(err as Error).message}` } };
  }
}

function lineCount(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
