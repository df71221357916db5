/**
 * The upload bodies of the OpenAPI document (src/api/upload-bodies.ts) say what the parsers
 * read: every content type POST /v1/datasets and POST /v1/models take, with this service's
 * limits, and a JSON dataset body that the document accepts exactly when the upload does.
 * The bodies are in the document only: the uploads still read their bodies as streams.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import formats from 'ajv-formats';
import { appForSuite } from '../helpers/app.ts';

type Json = Record<string, any>;

/** `value` inside `depth` arrays: nest(1, 2) is [[1]]. */
const nest = (value: unknown, depth: number): unknown => (depth === 0 ? value : [nest(value, depth - 1)]);

describe('the upload bodies of the OpenAPI document', () => {
  // A small MAX_FEATURES, so the limit the document states is seen to be the config's.
  const suite = appForSuite({ MAX_FEATURES: '6' });
  const document = async (): Promise<Json> => (await suite().app.inject({ method: 'GET', url: '/openapi.json' })).json();

  it('describes every content type of the dataset and model uploads, with the limits of the config', async () => {
    const doc = await document();
    const { config } = suite();
    const dataset = doc.paths['/v1/datasets'].post.requestBody.content;
    assert.deepEqual(Object.keys(dataset).sort(), ['application/json', 'multipart/form-data', 'text/csv', 'text/plain']);
    const csv = dataset['text/csv'].schema;
    assert.equal(csv.type, 'string');
    assert.match(csv.description, /header row\. The column named by \?label=/);
    assert.match(csv.description, /at most 6 of them \(MAX_FEATURES\)/);
    assert.ok(csv.description.includes(`at most ${config.MAX_DATASET_BYTES} bytes (MAX_DATASET_BYTES`), csv.description);
    assert.ok(csv.description.includes(`sent at ${config.UPLOAD_MIN_BYTES_PER_SECOND} bytes a second at least`), csv.description);
    assert.deepEqual(dataset['text/plain'].schema, csv);
    const json = dataset['application/json'].schema;
    assert.deepEqual(json.required, ['x', 'y']);
    const rankOne = json.properties.x.items.anyOf[1];
    assert.deepEqual([rankOne.type, rankOne.maxItems, json.properties.x.items.anyOf.length], ['array', 6, 9]);
    const multipart = dataset['multipart/form-data'].schema;
    assert.deepEqual([multipart.required, multipart.properties.file.format, multipart.additionalProperties], [['file'], 'binary', false]);
    const model = doc.paths['/v1/models'].post.requestBody.content;
    assert.deepEqual(Object.keys(model), ['multipart/form-data']);
    assert.deepEqual(model['multipart/form-data'].schema.required, ['model.json']);
    assert.ok(model['multipart/form-data'].schema.description.includes(`${config.MAX_UPLOAD_BYTES} bytes together (MAX_UPLOAD_BYTES`));
  });

  it('accepts a JSON dataset body exactly when the upload does', async () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    formats.default(ajv); // CommonJS: under ESM its function is the default export's `default`
    const validate = ajv.compile((await document()).paths['/v1/datasets'].post.requestBody.content['application/json'].schema);
    const { app, db } = suite();
    // What JSON Schema cannot say (examples shaped like x[0], one label each, two classes) is left
    // out: the document accepts such bodies and the parser refuses them, by design.
    const cases: Array<[string, unknown]> = [
      [
        'the README example',
        {
          x: [
            [0, 1],
            [1, 0],
            [1, 1],
          ],
          y: [1, 1, 0],
        },
      ],
      ['numbers as examples, text labels', { x: [1, 2, 3, 4], y: ['a', 'b', 'a', 'b'] }],
      ['y before x, labels of both kinds', { y: [1, 'a'], x: [[1], [2]] }],
      ['examples of rank 8', { x: [nest(1, 8), nest(2, 8)], y: [0.5, 1.5] }],
      [
        'rows of regression targets',
        {
          x: [[1], [2]],
          y: [
            [1, 2],
            [3, 4],
          ],
        },
      ],
      [
        '6 features (MAX_FEATURES)',
        {
          x: [
            [1, 2, 3, 4, 5, 6],
            [6, 5, 4, 3, 2, 1],
          ],
          y: [0, 1],
        },
      ],
      ['a feature just below where float32 overflows', { x: [[3.40282356e38], [1]], y: [0, 1] }],
      ['1,024 targets a row', { x: [[1], [2]], y: [Array(1024).fill(1), Array(1024).fill(2)] }],
      ['examples of rank 9', { x: [nest(1, 9), nest(2, 9)], y: [0, 1] }],
      [
        '7 features',
        {
          x: [
            [1, 2, 3, 4, 5, 6, 7],
            [7, 6, 5, 4, 3, 2, 1],
          ],
          y: [0, 1],
        },
      ],
      ['a feature float32 cannot hold', { x: [[3.4028236e38], [1]], y: [0, 1] }],
      ['a regression target float32 cannot hold', { x: [[1], [2]], y: [[1e39], [1]] }],
      ['1,025 targets a row', { x: [[1], [2]], y: [Array(1025).fill(1), Array(1025).fill(2)] }],
      ['a label of 1,001 characters', { x: [[1], [2]], y: ['a'.repeat(1001), 'b'] }],
      ['a field besides x and y', { x: [[1], [2]], y: [0, 1], z: 1 }],
      ['no y', { x: [[1], [2]] }],
      ['no examples', { x: [], y: [] }],
      ['an empty example', { x: [[], []], y: [0, 1] }],
      ['text in an example', { x: [['1'], ['2']], y: [0, 1] }],
      ['a label that is neither number nor text', { x: [[1], [2]], y: [true, false] }],
    ];
    const created: string[] = [];
    try {
      for (const [what, body] of cases) {
        const res = await app.inject({
          method: 'POST',
          url: '/v1/datasets',
          headers: { 'content-type': 'application/json' },
          payload: body as object,
        });
        if (res.statusCode === 201) created.push(res.json().id);
        else assert.equal(res.statusCode, 400, `${what}: ${res.body}`);
        const documented = validate(body);
        assert.equal(documented, res.statusCode === 201, `${what}: the document says ${documented}, the upload answered ${res.body}`);
      }
    } finally {
      await db.dataset.deleteMany({ where: { id: { in: created } } });
    }
  });

  it('leaves the body to the upload: the parser, not Fastify, refuses a field besides x and y', async () => {
    const { request } = suite();
    const res = await request('POST', '/v1/datasets', { x: [[1], [2]], y: [0, 1], z: 1 });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { error: 'invalid_request', message: 'z: unknown field: the body is { x, y }', details: { field: 'z' } });
  });
});
