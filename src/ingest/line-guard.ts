/**
 * A byte-level guard in front of the CSV parser: it counts the columns and bytes of each line
 * as the bytes pass, so a line of a million columns (or one endless field) is refused after its
 * first bytes past the limit, before the parser buffers it as one record.
 */
import { Transform } from 'node:stream';
import { InvalidInputError } from '../errors.ts';

const COMMA = 0x2c;
const QUOTE = 0x22;
const NEWLINE = 0x0a;

/**
 * `maxColumns` fields a line at most; `maxLineBytes` bytes a line at most. `why` names the limit
 * in the message (the config variable). Quotes toggle the "inside a quoted field" state (a
 * doubled quote toggles twice), where commas and newlines do not count.
 */
export function lineGuard(maxColumns: number, maxLineBytes: number, why: string): Transform {
  let line = 1;
  let columns = 1;
  let bytes = 0;
  let quoted = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i];
        bytes += 1;
        if (c === QUOTE) quoted = !quoted;
        else if (!quoted && c === COMMA) {
          columns += 1;
          if (columns > maxColumns) return done(new InvalidInputError(`line ${line}`, `has more than ${maxColumns} columns (${why})`));
        } else if (!quoted && c === NEWLINE) {
          line += 1;
          columns = 1;
          bytes = 0;
        }
        if (bytes > maxLineBytes) return done(new InvalidInputError(`line ${line}`, `is longer than ${maxLineBytes} bytes (${why})`));
      }
      done(null, chunk);
    },
  });
}
