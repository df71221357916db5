/**
 * The CSV reader's limits, without a server: MAX_FEATURES counts columns per line as the bytes
 * pass (quoted commas are no columns), long lines are refused before they are parsed, values
 * must be finite float32, and csv-parse's own errors are the user's (400), not ours.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { InvalidInputError } from '../../src/errors.ts';
import type { Chunk, ChunkSink } from '../../src/ingest/chunks.ts';
import { ingestCsv } from '../../src/ingest/csv.ts';

function run(text: string, maxFeatures: number, label = 'y') {
  const chunks: Chunk[] = [];
  const sink: ChunkSink = {
    write: async (c) => {
      chunks.push(c);
    },
    writeTargets: async () => {},
  };
  return ingestCsv(Readable.from([Buffer.from(text)]), { label, task: 'auto', maxFeatures }, sink).then((r) => ({ ...r, chunks }));
}

async function refused(text: string, maxFeatures: number, message: RegExp, label = 'y') {
  await assert.rejects(run(text, maxFeatures, label), (err: unknown) => {
    assert.ok(err instanceof InvalidInputError, String(err));
    assert.equal(err.name, 'InvalidInputError', 'a 400: the input is invalid, not missing or in conflict');
    assert.match(err.message, message);
    return true;
  });
}

describe('CSV limits', () => {
  it('takes exactly MAX_FEATURES feature columns, and refuses one more, naming the line', async () => {
    const ok = await run('a,b,c,y\n1,2,3,p\n4,5,6,q\n', 3);
    assert.deepEqual([ok.rows, ok.featureShape, [...ok.chunks[0].features]], [2, [3], [1, 2, 3, 4, 5, 6]]);
    await refused('a,b,c,d,y\n1,2,3,4,p\n', 3, /^line 1: has more than 4 columns \(MAX_FEATURES is 3\)/);
  });

  it('a comma inside quotes is no column; a quoted label keeps its comma', async () => {
    const res = await run('"a",b,y\n1,2,"p,q"\n3,4,"r"\n', 2);
    assert.deepEqual(res.labels, {
      kind: 'classes',
      classes: [
        { name: 'p,q', code: 0 },
        { name: 'r', code: 1 },
      ],
    });
  });

  it('a line longer than 64 bytes a column is refused before it is parsed', async () => {
    await refused(`a,y\n${'1'.repeat(10_000)},p\n`, 3, /^line 2: is longer than 1256 bytes \(MAX_FEATURES is 3\)/);
  });

  it('the largest float32 passes, the next decimal power does not', async () => {
    const res = await run('a,y\n3.4e38,p\n-3.4e38,q\n', 1);
    assert.deepEqual([...res.chunks[0].features], [Math.fround(3.4e38), Math.fround(-3.4e38)]);
    await refused('a,y\n1,p\n3.5e38,q\n', 1, /^line 3, column "a": 3.5e38 is not a finite float32/);
  });

  it('csv-parse errors are 400s that say so', async () => {
    await refused('a,b\n1,x\n2 "q",y\n', 1, /^body: is not valid CSV: Invalid Opening Quote/, 'b');
  });
});
