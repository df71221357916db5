/**
 * The checks of hand-validated JSON, for every parser of a request part (layers, models,
 * datasets, training, optimizers, schedules, the playground): each names the field's full path
 * and the reason, which JSON-schema validators cannot do well for nested unions (layers, datasets).
 * PURE: no TensorFlow.js, so the HTTP layer can validate without loading a tensor library.
 *
 * Each check throws `invalid(field, reason)` (an HTTP 400 naming the field) and otherwise returns
 * the value with its narrowed type. Value checks (`numberIn`, `bool`, `oneOf`) take the value and
 * its field; readers (`readNumber`, `readBoolean`, …) take an object, a key and the object's path,
 * and return undefined when the key is absent.
 */
import { invalid } from '../errors.ts';

export type Json = Record<string, unknown>;

/** How a received value is shown in a message: its JSON ("adam", [1,2], null), cut short past 60 characters. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  // NaN and ±Infinity, which JSON would show as null.
  if (typeof value === 'number') return String(value);
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** An object, not null and not an array. */
export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function requireObject(value: unknown, path: string): Json {
  if (!isObject(value)) invalid(path, `must be an object, got ${show(value)}`);
  return value;
}

/**
 * Rejects keys of `obj` outside `allowed`, listing what is allowed: "unknown option; allowed: …".
 * `what` names the kind of key, and what it belongs to when that decides the list
 * (`option of optimizer "sgd"`).
 */
export function rejectUnknown(obj: Json, allowed: readonly string[], path: string, what = 'option'): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) invalid(`${path}.${key}`, `unknown ${what}; allowed: ${allowed.join(', ')}`);
  }
}

/** What a number must be: its limits, each inclusive unless its `exclusive…` flag is set, and whole or not. */
export interface Bounds {
  min?: number;
  max?: number;
  /** min itself is not allowed (e.g. a rate must be greater than 0). */
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  integer?: boolean;
}

/** "at least 0", "greater than 0", "at most 1", "less than 1" for one limit; "in [0, 1)" for two. */
function boundsText(bounds: Bounds): string {
  const { min, max } = bounds;
  if (min !== undefined && max !== undefined) {
    return `in ${bounds.exclusiveMin ? '(' : '['}${min}, ${max}${bounds.exclusiveMax ? ')' : ']'}`;
  }
  if (min !== undefined) return `${bounds.exclusiveMin ? 'greater than' : 'at least'} ${min}`;
  return `${bounds.exclusiveMax ? 'less than' : 'at most'} ${max}`;
}

/** A finite number within `bounds` (rejects NaN, ±Infinity, numeric strings, null), e.g. "must be in [0, 1), got 1.2". */
export function numberIn(value: unknown, field: string, bounds: Bounds): number {
  if (typeof value !== 'number') invalid(field, `must be a number, got ${show(value)}`);
  if (!Number.isFinite(value)) invalid(field, `must be a finite number, got ${value}`);
  if (bounds.integer && !Number.isInteger(value)) invalid(field, `must be an integer, got ${value}`);
  const { min, max } = bounds;
  const tooLow = min !== undefined && (bounds.exclusiveMin ? value <= min : value < min);
  const tooHigh = max !== undefined && (bounds.exclusiveMax ? value >= max : value > max);
  if (tooLow || tooHigh) invalid(field, `must be ${boundsText(bounds)}, got ${value}`);
  return value;
}

export function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') invalid(field, `must be true or false, got ${show(value)}`);
  return value;
}

/** One of the strings `choices`. */
export function oneOf<T extends string>(value: unknown, field: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    invalid(field, `must be one of ${choices.join(', ')}; got ${show(value)}`);
  }
  return value as T;
}

export function readNumber(obj: Json, key: string, path: string, bounds: Bounds): number | undefined {
  const value = obj[key];
  return value === undefined ? undefined : numberIn(value, `${path}.${key}`, bounds);
}

export function requireNumber(obj: Json, key: string, path: string, bounds: Bounds): number {
  const value = readNumber(obj, key, path, bounds);
  if (value === undefined) invalid(`${path}.${key}`, 'is required');
  return value;
}

export function readBoolean(obj: Json, key: string, path: string): boolean | undefined {
  const value = obj[key];
  return value === undefined ? undefined : bool(value, `${path}.${key}`);
}

export function readChoice<T extends string>(obj: Json, key: string, path: string, choices: readonly T[]): T | undefined {
  const value = obj[key];
  return value === undefined ? undefined : oneOf(value, `${path}.${key}`, choices);
}

/** A positive integer or a pair of them, as tf.layers takes kernel sizes, strides and pools. */
export function readPair(obj: Json, key: string, path: string): [number, number] | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  const field = `${path}.${key}`;
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 1024;
  if (ok(value)) return [value as number, value as number];
  if (Array.isArray(value) && value.length === 2 && value.every(ok)) return [value[0], value[1]];
  invalid(field, `must be a positive integer or a pair of them, got ${show(value)}`);
}
