/**
 * Bytes ↔ float32 without sharing memory. Buffers from pg or Prisma are often views into a
 * larger pool at an offset a Float32Array cannot start at, so every conversion copies.
 */

/** An ArrayBuffer holding exactly these bytes. */
export const ownArrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

export const float32FromBytes = (bytes: Uint8Array): Float32Array => new Float32Array(ownArrayBuffer(bytes));

export const bytesFromFloat32 = (values: Float32Array): Uint8Array<ArrayBuffer> =>
  new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength) as ArrayBuffer);
