/**
 * How one option of a request part (a layer, a dataset, an optimizer, a schedule) is described:
 * its kind, range, default and meaning. The parsers read options by these entries, and the API
 * turns the same entries into the OpenAPI document's JSON Schema, so the two cannot drift.
 */
import { invalid } from '../errors.ts';
import { describe, readBoolean, readChoice, readNumber, readPair, type Json } from './fields.ts';
import type { Range } from './validate.ts';

/** Bounds of a number; inclusive unless the `exclusive…` flag is set. */
export interface Bounds {
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
}

export type OptionInfo = { description: string; required?: boolean } & (
  | { kind: 'integer' | 'number'; bounds?: Bounds; default?: number }
  | { kind: 'boolean'; default?: boolean }
  | { kind: 'choice'; choices: readonly string[]; default?: string }
  /** A positive integer (at most MAX_PAIR) or a pair of them, as tf.layers takes sizes and strides. */
  | { kind: 'pair'; default?: [number, number] }
  /** 1 to 4 positive integers, one of which may be -1 (reshape's target). */
  | { kind: 'shape' }
  /** A non-empty array of numbers within `bounds`. */
  | { kind: 'numbers'; bounds?: Bounds }
  /** A number >= 0 or a learning-rate schedule object. */
  | { kind: 'learningRate'; default?: number }
);

/** An option table: every option of a part, in the order error messages list them. */
export type OptionTable<K extends string = string> = { readonly [P in K]: OptionInfo };

export const MAX_PAIR = 1024;

const numberRule = (bounds: Bounds | undefined, integer: boolean) => ({ ...bounds, integer });

/**
 * Reads option `key` of `obj` as its table entry says, with the messages of fields.ts; the
 * default when absent, a 400 "is required" when required, undefined when absent otherwise.
 */
export function readOption(obj: Json, key: string, path: string, info: OptionInfo): unknown {
  let value: unknown;
  switch (info.kind) {
    case 'integer':
    case 'number':
      value = readNumber(obj, key, path, numberRule(info.bounds, info.kind === 'integer')) ?? info.default;
      break;
    case 'boolean':
      value = readBoolean(obj, key, path) ?? info.default;
      break;
    case 'choice':
      value = readChoice(obj, key, path, info.choices) ?? info.default;
      break;
    case 'pair':
      value = readPair(obj, key, path) ?? info.default;
      break;
    case 'shape':
      value = obj[key] === undefined ? undefined : readShape(obj[key], `${path}.${key}`);
      break;
    default:
      invalid(`${path}.${key}`, `has no reader for options of kind ${describe(info.kind)}`);
  }
  if (value === undefined && info.required) {
    if (info.kind === 'shape') readShape(undefined, `${path}.${key}`);
    invalid(`${path}.${key}`, 'is required');
  }
  return value;
}

function readShape(shape: unknown, field: string): number[] {
  const ok =
    Array.isArray(shape) &&
    shape.length >= 1 &&
    shape.length <= 4 &&
    shape.every((d) => Number.isInteger(d) && (d >= 1 || d === -1)) &&
    shape.filter((d) => d === -1).length <= 1;
  if (!ok) invalid(field, `must be 1 to 4 positive integers (one may be -1), got ${JSON.stringify(shape)}`);
  return shape as number[];
}

/** validate.ts' Range (the optimizer and schedule readers') as Bounds: the same four limits. */
export const boundsOf = (r: Range): Bounds => ({ min: r.min, max: r.max, exclusiveMin: r.minExclusive, exclusiveMax: r.maxExclusive });

/** The Range numberIn checks for a numeric option entry. */
export function rangeOf(info: OptionInfo): Range {
  const b = 'bounds' in info ? info.bounds : undefined;
  return { min: b?.min, max: b?.max, minExclusive: b?.exclusiveMin, maxExclusive: b?.exclusiveMax, integer: info.kind === 'integer' };
}
