/**
 * How one option of a request part (a layer, a dataset, an optimizer, a schedule) is described:
 * its kind, range, default and meaning. The parsers read options by these entries, and the API
 * turns the same entries into the OpenAPI document's JSON Schema, so the two cannot drift.
 */
import { invalid } from '../errors.ts';
import { readBoolean, readChoice, readNumber, readPair, show, type Bounds, type Json } from './fields.ts';

export type OptionInfo = { description: string; required?: boolean } &
  /** Whether the number must be whole is said by the kind, not by `bounds`. */
  (
    | { kind: 'integer' | 'number'; bounds?: Omit<Bounds, 'integer'>; default?: number }
    | { kind: 'boolean'; default?: boolean }
    | { kind: 'choice'; choices: readonly string[]; default?: string }
    /** A positive integer (at most MAX_PAIR) or a pair of them, as tf.layers takes sizes and strides. */
    | { kind: 'pair'; default?: [number, number] }
    /** 1 to 4 positive integers, one of which may be -1 (reshape's target). */
    | { kind: 'shape' }
    /** A non-empty array of numbers within `bounds`. */
    | { kind: 'numbers'; bounds?: Omit<Bounds, 'integer'> }
    /** A number >= 0 or a learning-rate schedule object. */
    | { kind: 'learningRate'; default?: number }
  );

/** An option table: every option of a part, in the order error messages list them. */
export type OptionTable<K extends string = string> = { readonly [P in K]: OptionInfo };

export const MAX_PAIR = 1024;

/** What a number given for option `info` must be: its limits, and whole for kind 'integer'. */
export function optionBounds(info: OptionInfo): Bounds {
  return { ...('bounds' in info ? info.bounds : undefined), integer: info.kind === 'integer' };
}

/**
 * Reads option `key` of `obj` as its table entry says, with the messages of fields.ts; the
 * default when absent, a 400 "is required" when required, undefined when absent otherwise.
 */
export function readOption(obj: Json, key: string, path: string, info: OptionInfo): unknown {
  let value: unknown;
  switch (info.kind) {
    case 'integer':
    case 'number':
      value = readNumber(obj, key, path, optionBounds(info)) ?? info.default;
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
      invalid(`${path}.${key}`, `has no reader for options of kind ${show(info.kind)}`);
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
  if (!ok) invalid(field, `must be 1 to 4 positive integers (one may be -1), got ${show(shape)}`);
  return shape as number[];
}
