import type { z } from 'zod';
import { closest } from './env/closest.js';
import { ValidationError, type ValidationIssue } from './errors.js';

/**
 * Validate options once at an entry point; the error names each option, what was expected and
 * received. Option objects are strict: a key that no `z.object` of the schema declares (at any
 * depth) is an error naming the closest known key, so a typo such as `maxStep` never passes
 * silently. Objects made with `.loose()`/`.catchall()` and records keep accepting any key.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const value = input ?? {};
  const unknown = unknownKeys(schema, value, []);
  const result = schema.safeParse(value);
  if (result.success && unknown.length === 0) return result.data;
  const issues = result.success
    ? []
    : result.error.issues
        // Strict objects report unknown keys themselves; ours say which key was meant.
        .filter((i) => i.code !== 'unrecognized_keys' || unknown.length === 0)
        .map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  throw new ValidationError(what, [...unknown, ...issues]);
}

/** The keys of `value` that the object schemas of `schema` do not declare, with a suggestion each. */
export function unknownKeys(schema: z.ZodType, value: unknown, path: ReadonlyArray<string | number>): ValidationIssue[] {
  const def = (schema as unknown as { _zod: { def: ZodDef } })._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return def.innerType ? unknownKeys(def.innerType, value, path) : [];
    case 'pipe':
      return def.in ? unknownKeys(def.in, value, path) : [];
    case 'lazy':
      return def.getter ? unknownKeys(def.getter(), value, path) : [];
    case 'array':
      return Array.isArray(value) && def.element ? value.flatMap((v, i) => unknownKeys(def.element!, v, [...path, i])) : [];
    case 'object': {
      if (!isPlainObject(value) || !def.shape) return [];
      // `.loose()` and `.catchall(x)` accept other keys on purpose; `.strict()` has catchall never.
      const catchall = def.catchall as { _zod: { def: ZodDef } } | undefined;
      if (catchall && catchall._zod.def.type !== 'never') return [];
      const known = Object.keys(def.shape);
      const issues: ValidationIssue[] = [];
      for (const key of Object.keys(value)) {
        const at = [...path, key].join('.');
        const inner = def.shape[key];
        if (inner) {
          issues.push(...unknownKeys(inner, value[key], [...path, key]));
          continue;
        }
        const suggestion = suggestKey(key, known);
        issues.push({
          path: at,
          message: suggestion
            ? `unknown option; did you mean "${suggestion}"?`
            : `unknown option; known options: ${known.join(', ') || '(none)'}`,
          ...(suggestion ? { suggestion } : {}),
        });
      }
      return issues;
    }
    default:
      return [];
  }
}

/** The known key a mistyped one most likely meant: a close spelling, else a shared prefix (`memory` → `memoryBytes`). */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const near = closest(key, known);
  if (near) return near;
  const k = key.toLowerCase();
  const related = known.filter((c) => {
    const l = c.toLowerCase();
    return k.length >= 3 && (l.startsWith(k) || k.startsWith(l) || l.includes(k));
  });
  return related.sort((a, b) => a.length - b.length)[0];
}

interface ZodDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  getter?: () => z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
