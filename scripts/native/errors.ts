/**
 * A problem the user can fix (a missing tool, header or wheel): `npm run native` prints its
 * one-sentence message, which says what is missing and how to get it, and exits with 1.
 */
export class NativeSetupError extends Error {
  override name = 'NativeSetupError';
}
