/**
 * Small value checks shared by the spec and schedule parsers. PURE: no TensorFlow.js, so the
 * HTTP layer can validate optimizer specs without loading a tensor library.
 *
 * Every check throws `invalid(field, reason)` (an HTTP 400 naming the field) and otherwise
 * returns the value with its narrowed type.
 */
import { invalid } from '../errors.ts';

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How a received value is shown in an error message (short, JSON where possible). */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A finite number (rejects NaN, ±Infinity, numeric strings, null). */
export function finiteNumber(value: unknown, field: string): number {
  if (typeof value !== 'number') invalid(field, `must be a number, got ${show(value)}`);
  if (!Number.isFinite(value)) invalid(field, `must be a finite number, got ${show(value)}`);
  return value;
}

export interface Range {
  /** Lower bound, inclusive unless `minExclusive`. */
  min?: number;
  minExclusive?: boolean;
  /** Upper bound, inclusive unless `maxExclusive`. */
  max?: number;
  maxExclusive?: boolean;
  integer?: boolean;
}

function describe(range: Range): string {
  const { min, max } = range;
  if (min !== undefined && max !== undefined) {
    return `in ${range.minExclusive ? '(' : '['}${min}, ${max}${range.maxExclusive ? ')' : ']'}`;
  }
  if (min !== undefined) return range.minExclusive ? `> ${min}` : `>= ${min}`;
  if (max !== undefined) return range.maxExclusive ? `< ${max}` : `<= ${max}`;
  return 'a number';
}

/** A finite number inside `range`; the message states the range, e.g. "must be in [0, 1), got 1.2". */
export function numberIn(value: unknown, field: string, range: Range): number {
  const n = finiteNumber(value, field);
  const { min, max } = range;
  const tooLow = min !== undefined && (range.minExclusive ? n <= min : n < min);
  const tooHigh = max !== undefined && (range.maxExclusive ? n >= max : n > max);
  if (tooLow || tooHigh) invalid(field, `must be ${describe(range)}, got ${n}`);
  if (range.integer && !Number.isInteger(n)) invalid(field, `must be an integer, got ${n}`);
  return n;
}

export function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') invalid(field, `must be true or false, got ${show(value)}`);
  return value;
}

/** Rejects keys of `input` that are not in `allowed`, listing the allowed ones. */
export function onlyKeys(input: PlainObject, allowed: readonly string[], path: string, what: string): void {
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key)) {
      invalid(`${path}.${key}`, `is not an option of ${what}; allowed: ${allowed.join(', ')}`);
    }
  }
}
