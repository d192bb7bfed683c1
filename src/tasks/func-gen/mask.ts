import type { Definition } from '../../analysis/types.js';
import { FUNC_GEN_PLACEHOLDER, findFunction, functionBodies, lineOf } from './body.js';

export { FUNC_GEN_PLACEHOLDER } from './body.js';

/** Which function to mask: the `occurrence`-th definition of `qualname` in the file (0 unless redefined). */
export interface MaskTarget {
  qualname: string;
  /** @default 0 */
  occurrence?: number;
  /** For messages and definitions' ids only. */
  file?: string;
}

/** The gold body as it stands in the file (DESIGN.md's `body`): lines 1-based and inclusive. */
export interface GoldBody {
  line: number;
  endLine: number;
  /** Exactly the replaced text: indented as in the file, docstring excluded, no final line break. */
  text: string;
}

export type MaskFailure =
  | 'not-found'
  | 'not-a-function'
  | 'docstring-only'
  | 'syntax-errors'
  | 'placeholder-in-file'
  | 'masked-invalid';

export type MaskResult =
  | {
      ok: true;
      /** The file with the body replaced by the placeholder statement. */
      masked: string;
      body: GoldBody;
      /** The span of `masked` that replaced the body (the placeholder with its indentation); `line` is its line. */
      placeholder: { start: number; end: number; line: number };
      definition: Definition;
    }
  | { ok: false; reason: MaskFailure; detail: string };

/**
 * Masks one function's body: decorators, the whole signature (comments after the colon included)
 * and the docstring stay byte for byte; the body's lines become `pass  # TODO: Implement this
 * function` at the body's indentation (after the colon or docstring, on the same line, when the body
 * was there). Line terminators of the file are kept. `masked` splices back into the original:
 * `masked.slice(0, placeholder.start) + body.text + masked.slice(placeholder.end) === source`.
 */
export function maskFunctionBody(source: string, target: MaskTarget): MaskResult {
  const name = `${target.file ? `${target.file}: ` : ''}${target.qualname}`;
  const parsed = functionBodies(source, target.file);
  if (parsed.hasErrors) return { ok: false, reason: 'syntax-errors', detail: `${name}: the file does not parse` };
  const fn = findFunction(parsed, target.qualname, target.occurrence ?? 0);
  if (!fn) {
    const isClass = parsed.definitions.some((d) => d.qualname === target.qualname && d.kind === 'class');
    return isClass
      ? { ok: false, reason: 'not-a-function', detail: `${name} is a class` }
      : { ok: false, reason: 'not-found', detail: `${name} (occurrence ${target.occurrence ?? 0}) is not defined` };
  }
  if (!fn.region) return { ok: false, reason: 'docstring-only', detail: `${name} has no body besides its docstring` };
  // The oracle and the verifier find the placeholder by its text: it must be the only one.
  if (source.includes(FUNC_GEN_PLACEHOLDER)) {
    return { ok: false, reason: 'placeholder-in-file', detail: `${name}: the file already holds "${FUNC_GEN_PLACEHOLDER}"` };
  }
  const { start, end } = fn.region;
  const statement = (fn.indent ?? '') + FUNC_GEN_PLACEHOLDER;
  const masked = source.slice(0, start) + statement + source.slice(end);
  const placeholder = { start, end: start + statement.length, line: lineOf(masked, start) };
  const check = validate(masked, target, fn.definition);
  if (check) return { ok: false, reason: 'masked-invalid', detail: `${name}: ${check}` };
  return {
    ok: true,
    masked,
    body: { line: lineOf(source, start), endLine: lineOf(source, end - 1), text: source.slice(start, end) },
    placeholder,
    definition: fn.definition,
  };
}

/** What is wrong with a masked file, or null: it must parse and hold the target with the placeholder as its whole body. */
function validate(masked: string, target: MaskTarget, original: Definition): string | null {
  const parsed = functionBodies(masked, target.file);
  if (parsed.hasErrors) return 'the masked file does not parse';
  const again = findFunction(parsed, target.qualname, target.occurrence ?? 0);
  if (!again) return 'the target is gone from the masked file';
  const only = again.statements.length === 1 && again.statements[0]!.type === 'pass_statement';
  if (!only) return 'the masked body is not the single placeholder statement';
  if ((again.definition.docstring?.literal ?? null) !== (original.docstring?.literal ?? null)) return 'the docstring changed';
  return null;
}
