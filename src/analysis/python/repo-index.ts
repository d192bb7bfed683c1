import { ValidationError } from '../../errors.js';
import type { CallSite, Definition, RepoIndex, Resolution, SkippedFile, SourceFile } from '../types.js';
import type { ModuleTable } from './discover.js';
import { Resolver } from './resolve.js';
import type { FileSymbols, RawCall } from './scopes.js';

/** The index of a Python repository; call sites resolve lazily and are cached. */
export class PythonRepoIndex implements RepoIndex {
  readonly language = 'python';
  readonly modules: ReadonlyMap<string, string>;
  private readonly byFile = new Map<string, SourceFile>();
  private readonly defsByFile = new Map<string, Definition[]>();
  private readonly defsById = new Map<string, Definition>();
  private readonly resolutions = new Map<RawCall, Resolution>();
  private readonly resolver: Resolver;

  constructor(
    readonly root: string,
    readonly files: readonly SourceFile[],
    readonly definitions: readonly Definition[],
    readonly skipped: readonly SkippedFile[],
    private readonly symbols: ReadonlyMap<string, FileSymbols>,
    table: ModuleTable,
    /** Built with call sites (`indexRepo(dir, { calls: false })` builds definitions only). */
    readonly hasCalls = true,
  ) {
    for (const f of files) this.byFile.set(f.file, f);
    for (const d of definitions) {
      this.defsById.set(d.id, d);
      const list = this.defsByFile.get(d.file) ?? [];
      list.push(d);
      this.defsByFile.set(d.file, list);
    }
    const modules = new Map<string, string>();
    for (const [name, key] of [...table.byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const file = table.byKey.get(key)?.file;
      if (file && this.byFile.has(file)) modules.set(name, file);
    }
    this.modules = modules;
    const byKey = new Map<string, FileSymbols>();
    for (const fs of symbols.values()) if (table.byKey.get(fs.key)?.file === fs.file) byKey.set(fs.key, fs);
    this.resolver = new Resolver(table, byKey, symbols.values());
  }

  file(path: string): SourceFile | undefined {
    return this.byFile.get(path);
  }

  definitionsIn(file: string): Definition[] {
    return [...(this.defsByFile.get(file) ?? [])];
  }

  find(file: string, qualname: string): Definition | undefined {
    const all = (this.defsByFile.get(file) ?? []).filter((d) => d.qualname === qualname);
    return all[all.length - 1];
  }

  byId(id: string): Definition | undefined {
    return this.defsById.get(id);
  }

  definitionAt(file: string, line: number): Definition | undefined {
    let best: Definition | undefined;
    for (const d of this.defsByFile.get(file) ?? []) {
      if (d.anchorLine <= line && line <= d.endLine && (!best || d.startIndex >= best.startIndex)) best = d;
    }
    return best;
  }

  /** Every call site inside a definition (decorators, signature, body, nested scopes), in source order. */
  callSites(def: Definition): CallSite[] {
    if (!this.hasCalls) {
      throw new ValidationError('index', [{ path: 'calls', message: 'this index was built with calls: false (definitions only); index with calls: true to resolve call sites' }]);
    }
    const fs = this.symbols.get(def.file);
    if (!fs) return [];
    const calls = fs.calls;
    // Calls are sorted by the end of their callee expression: binary-search the first inside.
    let lo = 0;
    let hi = calls.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((calls[mid] as RawCall).end <= def.startIndex) lo = mid + 1;
      else hi = mid;
    }
    const out: CallSite[] = [];
    for (let i = lo; i < calls.length; i++) {
      const call = calls[i] as RawCall;
      if (call.end > def.endIndex) break;
      out.push({
        line: call.line, startIndex: call.start, endIndex: call.end, callee: call.text,
        kind: call.kind, resolution: this.resolve(call),
      });
    }
    return out;
  }

  /** In-repo definitions a definition calls: unique, in order of first call, itself excluded. */
  callees(def: Definition): Definition[] {
    const seen = new Set<Definition>();
    for (const site of this.callSites(def)) {
      if (site.resolution.status !== 'resolved') continue;
      for (const t of site.resolution.targets) if (t !== def) seen.add(t);
    }
    return [...seen];
  }

  private resolve(call: RawCall): Resolution {
    let r = this.resolutions.get(call);
    if (!r) {
      r = this.resolver.resolveCall(call);
      this.resolutions.set(call, r);
    }
    return r;
  }
}
