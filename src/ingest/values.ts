/**
 * What a stored value may be. Features and targets are stored as float32, which turns any
 * magnitude above 3.4e38 into Infinity (1e39 is finite as a JavaScript number, not as float32),
 * and a single Infinity or NaN makes every weight NaN a few steps into training. Text goes into
 * PostgreSQL, which cannot hold the NUL character, nor a lone surrogate inside jsonb.
 */
import { invalid } from '../errors.ts';

/** Longest label (class name) kept: class names are held in memory and stored as JSON. */
export const MAX_LABEL_CHARS = 1000;

/** True when `value` survives the conversion to float32 as a finite number. */
export const isFiniteFloat32 = (value: number): boolean => Number.isFinite(Math.fround(value));

/**
 * The magnitude from which a number becomes Infinity as float32: 2^128 − 2^103, half a step
 * above float32's largest value (3.4028235e38), where rounding goes up. isFiniteFloat32(v) is
 * exactly |v| < FLOAT32_OVERFLOW, which is how the OpenAPI document states it (upload-bodies.ts).
 */
export const FLOAT32_OVERFLOW = 2 ** 128 - 2 ** 103;

/** Throws a 400 on `field` unless `value` is a finite float32; `text` is how the user wrote it. */
export function checkFloat32(value: number, text: string, field: string): void {
  if (!isFiniteFloat32(value)) invalid(field, `${text} is not a finite float32 (float32 holds magnitudes up to 3.4e38)`);
}

/** Half of a UTF-16 surrogate pair without its other half: JSON can spell it (`"\ud800"`), jsonb cannot store it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Throws a 400 on `field` unless PostgreSQL can store `text` (as text or inside jsonb). */
export function checkText(text: string, field: string): void {
  if (text.includes('\u0000')) invalid(field, 'must not contain the NUL character');
  if (LONE_SURROGATE.test(text)) invalid(field, 'must be valid Unicode text: it holds half of a surrogate pair (\\ud800–\\udfff) alone');
}
