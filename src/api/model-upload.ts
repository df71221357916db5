/**
 * Reads a multipart TensorFlow.js model upload (model.json and the weight files it names)
 * and checks it: every named file present and no other, each weight group's bytes exactly
 * the size its manifest says. Files are consumed as they arrive (a part left unread would
 * stall the request) and held once, to be stored whole.
 */
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { TooLargeError, UnsupportedFormatError, invalid } from '../errors.ts';
import { checkText } from '../ingest/values.ts';
import { multipartError } from './multipart-errors.ts';

/**
 * Nesting of model.json at most. A Keras topology nests a dozen levels; a deeper one would
 * overflow the stack of any recursive walk of it (storing it as JSON is one).
 */
export const MAX_MODEL_JSON_DEPTH = 64;
/**
 * Size of model.json at most. It is parsed whole, and JSON.parse holds several times its text
 * in objects; a topology and manifest take kilobytes (the weights are in the other files).
 */
export const MAX_MODEL_JSON_BYTES = 16 * 1024 * 1024;
/** Files in one upload at most: model.json and the weight files it names. */
export const MAX_MODEL_FILES = 64;
/** Characters of the `name` field kept. */
export const MAX_MODEL_NAME_CHARS = 200;

export interface ParsedUpload {
  name?: string;
  modelTopology: object;
  weightSpecs: Array<{ name: string; shape: number[]; dtype: 'float32' }>;
  weightData: Uint8Array<ArrayBuffer>;
}

interface ManifestGroup {
  paths: string[];
  weights: Array<{ name: string; shape: number[]; dtype: string }>;
}

const basename = (path: string) => path.split('/').pop() ?? path;

/** The part's bytes; past `limit` bytes the rest is read and dropped and the answer is a 413 naming `why`. */
async function readAll(part: MultipartFile, limit = Number.POSITIVE_INFINITY, why = ''): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of part.file) {
    bytes += (chunk as Buffer).length;
    if (bytes <= limit) chunks.push(chunk as Buffer);
  }
  if (part.file.truncated) throw new TooLargeError(part.filename, 'is larger than the upload limit');
  if (bytes > limit) throw new TooLargeError(part.filename, `is larger than ${limit} bytes (${why})`);
  return Buffer.concat(chunks);
}

/** Throws a 400 if the JSON text nests arrays and objects deeper than `max`; scans without parsing. */
function checkDepth(text: string, max: number, field: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) invalid(field, `is nested deeper than ${max} levels`);
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
}

/** Throws a 400 if any string or key in `value` is text PostgreSQL's jsonb cannot hold. Iterative: no recursion is needed. */
function checkStorable(value: unknown, field: string): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      checkText(v, field);
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, inner] of Object.entries(v)) {
        checkText(k, field);
        stack.push(inner);
      }
    }
  }
}

/** Throws a 400 naming the weight and the index of its first value that is not finite. */
function checkFinite(weightData: Uint8Array<ArrayBuffer>, specs: Array<{ name: string; shape: number[] }>): void {
  const values = new Float32Array(weightData.buffer, weightData.byteOffset, weightData.byteLength / 4);
  let offset = 0;
  for (const { name, shape } of specs) {
    const size = shape.reduce((a, b) => a * b, 1);
    for (let k = 0; k < size; k++) {
      const v = values[offset + k];
      if (!Number.isFinite(v)) invalid(name, `value [${k}] is ${v}; weights must be finite`);
    }
    offset += size;
  }
}

function parseModelJson(text: string): { modelTopology: object; groups: ManifestGroup[] } {
  checkDepth(text, MAX_MODEL_JSON_DEPTH, 'model.json');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    invalid('model.json', `is not JSON: ${(err as Error).message}`);
  }
  const obj = json as Record<string, unknown>;
  if (typeof obj !== 'object' || obj === null || typeof obj.modelTopology !== 'object' || obj.modelTopology === null) {
    invalid('model.json', 'has no modelTopology: upload a TensorFlow.js layers model (model.save / tfjs-converter output)');
  }
  const manifest = obj.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0)
    invalid('model.json.weightsManifest', 'must be a non-empty array of { paths, weights }');
  manifest.forEach((group: ManifestGroup, g) => {
    const at = `model.json.weightsManifest[${g}]`;
    if (!Array.isArray(group?.paths) || group.paths.some((p) => typeof p !== 'string'))
      invalid(`${at}.paths`, 'must be an array of file names');
    if (!Array.isArray(group.weights)) invalid(`${at}.weights`, 'must be an array of { name, shape, dtype }');
    group.weights.forEach((w, i) => {
      const ok = typeof w?.name === 'string' && Array.isArray(w.shape) && w.shape.every((d) => Number.isInteger(d) && d >= 0);
      if (!ok) invalid(`${at}.weights[${i}]`, 'must be { name, shape: integers, dtype }');
      checkText(w.name, `${at}.weights[${i}].name`);
      if (w.dtype !== 'float32') invalid(`${at}.weights[${i}].dtype`, `only float32 weights can start a job, ${w.name} is ${w.dtype}`);
    });
  });
  checkStorable(obj.modelTopology, 'model.json');
  return { modelTopology: obj.modelTopology, groups: manifest as ManifestGroup[] };
}

export async function readModelUpload(request: FastifyRequest): Promise<ParsedUpload> {
  if (!request.isMultipart()) {
    throw new UnsupportedFormatError('body', 'must be multipart/form-data with model.json and the weight files it names');
  }
  const files = new Map<string, Buffer>();
  let modelJson: string | undefined;
  let name: string | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (part.fieldname === 'name') name = String(part.value).slice(0, MAX_MODEL_NAME_CHARS);
        continue;
      }
      const file = basename(part.filename || part.fieldname);
      const bytes = file === 'model.json' ? await readAll(part, MAX_MODEL_JSON_BYTES, 'the limit for model.json') : await readAll(part);
      if (file === 'model.json') modelJson = bytes.toString('utf8');
      else files.set(file, bytes);
    }
  } catch (err) {
    throw multipartError(err);
  }
  if (name !== undefined) checkText(name, 'name');
  if (modelJson === undefined) invalid('model.json', 'is missing: send it as a file part named model.json');
  const { modelTopology, groups } = parseModelJson(modelJson);

  const named = new Set(groups.flatMap((g) => g.paths.map(basename)));
  for (const file of files.keys()) if (!named.has(file)) invalid(file, 'is not a weight file model.json names');
  const pieces: Buffer[] = [];
  groups.forEach((group, g) => {
    const bytes = Buffer.concat(
      group.paths.map((p) => {
        const file = files.get(basename(p));
        if (!file) invalid(basename(p), `is named by model.json but was not uploaded`);
        return file;
      }),
    );
    const expected = group.weights.reduce((sum, w) => sum + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    if (bytes.length !== expected) {
      invalid(`model.json.weightsManifest[${g}]`, `its weights need ${expected} bytes but ${group.paths.join(', ')} hold ${bytes.length}`);
    }
    pieces.push(bytes);
  });
  const weightData = new Uint8Array(Buffer.concat(pieces));
  const weightSpecs = groups.flatMap((g) => g.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' as const })));
  checkFinite(weightData, weightSpecs);
  return { name, modelTopology, weightSpecs, weightData };
}
