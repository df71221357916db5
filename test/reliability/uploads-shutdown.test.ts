/**
 * SIGTERM with a dataset upload under way: the real service process stops the upload (its client
 * gets a 503 saying so), removes its pending row and slices, and exits 0 well before its shutdown
 * deadline. Before, the upload held app.close() until the deadline: exit 1, and the row stayed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDb, type Db } from '../../src/store/db.ts';
import { startApiProcess, type ApiProcess } from '../helpers/api-process.ts';
import { ownDatabase } from '../helpers/own-database.ts';
import { csvRows, holdUpload, until } from '../helpers/upload-client.ts';

describe('SIGTERM in the middle of an upload', () => {
  let databaseUrl: string;
  let db: Db;
  let api: ApiProcess | undefined;
  before(async () => {
    databaseUrl = await ownDatabase('uploads_shutdown');
    db = createDb(databaseUrl);
    await db.dataset.deleteMany({});
  });
  after(async () => {
    await api?.kill();
    await db.$disconnect();
  });

  it('answers the upload 503, leaves no pending row and exits 0 before the deadline', async () => {
    // A deadline the test would see passing: an upload that held the shutdown made it exit 1 there.
    api = await startApiProcess({ DATABASE_URL: databaseUrl, SHUTDOWN_TIMEOUT_MS: '20000' });
    const upload = holdUpload(api.url, '/v1/datasets?label=y');
    await upload.write('a,b,y\n' + csvRows(20_000)); // a slice stored, and the upload still open
    await until(async () => (await db.datasetChunk.count()) > 0, 'the first slice is stored');
    assert.equal(await db.dataset.count({ where: { ready: false } }), 1);

    api.proc.kill('SIGTERM');
    const answer = await upload.answer;
    assert.equal(answer.status, 503, JSON.stringify(answer.json ?? answer.error));
    assert.equal(answer.json.error, 'unavailable');
    assert.match(answer.json.message, /^the service is shutting down: this upload was stopped and nothing of it is kept/);
    assert.deepEqual(await api.exited, { code: 0, signal: null });
    assert.equal(await db.dataset.count({ where: { ready: false } }), 0, 'no pending row');
    assert.equal(await db.datasetChunk.count(), 0, 'no slice');
  });
});
