/**
 * Small readers for hand-validated JSON: each names the field's full path and the reason,
 * which JSON-schema validators cannot do well for nested unions (layers, datasets).
 */
import { invalid } from '../errors.ts';

export type Json = Record<string, unknown>;

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- parsed JSON: only numbers, booleans and undefined are left
  return String(value);
}

export function requireObject(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid(path, `must be an object, got ${describe(value)}`);
  }
  return value as Json;
}

/** Rejects keys outside `allowed`, listing what is allowed. */
export function rejectUnknown(obj: Json, allowed: readonly string[], path: string, what = 'option'): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      invalid(`${path}.${key}`, `unknown ${what}; allowed: ${allowed.join(', ')}`);
    }
  }
}

export interface NumberRule {
  min?: number;
  max?: number;
  /** min itself is not allowed (e.g. a rate must be > 0). */
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  integer?: boolean;
}

export function readNumber(obj: Json, key: string, path: string, rule: NumberRule): number | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  const field = `${path}.${key}`;
  if (typeof value !== 'number') invalid(field, `must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value)) invalid(field, `must be finite, got ${value}`);
  if (rule.integer && !Number.isInteger(value)) invalid(field, `must be an integer, got ${value}`);
  const { min, max } = rule;
  if (min !== undefined && (rule.exclusiveMin ? value <= min : value < min)) {
    invalid(field, `must be ${rule.exclusiveMin ? 'greater than' : 'at least'} ${min}, got ${value}`);
  }
  if (max !== undefined && (rule.exclusiveMax ? value >= max : value > max)) {
    invalid(field, `must be ${rule.exclusiveMax ? 'less than' : 'at most'} ${max}, got ${value}`);
  }
  return value;
}

export function requireNumber(obj: Json, key: string, path: string, rule: NumberRule): number {
  const value = readNumber(obj, key, path, rule);
  if (value === undefined) invalid(`${path}.${key}`, 'is required');
  return value;
}

export function readBoolean(obj: Json, key: string, path: string): boolean | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') invalid(`${path}.${key}`, `must be true or false, got ${describe(value)}`);
  return value;
}

export function readChoice<T extends string>(obj: Json, key: string, path: string, choices: readonly T[]): T | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !choices.includes(value as T)) {
    invalid(`${path}.${key}`, `must be one of ${choices.join(', ')}; got ${describe(value)}`);
  }
  return value as T;
}

/** A positive integer or a pair of them, as tf.layers takes kernel sizes, strides and pools. */
export function readPair(obj: Json, key: string, path: string): [number, number] | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  const field = `${path}.${key}`;
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 1024;
  if (ok(value)) return [value as number, value as number];
  if (Array.isArray(value) && value.length === 2 && value.every(ok)) return [value[0], value[1]];
  invalid(field, `must be a positive integer or a pair of them, got ${describe(value)}`);
}
