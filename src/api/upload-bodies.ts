/**
 * The upload bodies as the OpenAPI document shows them (documented-body.ts): a dataset (CSV,
 * JSON { x, y }, or either as a multipart file) and a model (multipart). They are built from
 * the limits the parsers apply (src/ingest/, model-upload.ts) and from this service's config,
 * so the document states the limits the service runs with. What JSON Schema cannot say (every
 * example shaped like x[0], one label per example, the CSV's columns) is in the descriptions.
 */
import { Type, type TSchema } from 'typebox';
import type { Config } from '../config.ts';
import { maxCsvLineBytes } from '../ingest/csv.ts';
import { MAX_EXAMPLE_RANK, MAX_TARGET_DIMS, Y_FIRST_MAX_VALUES } from '../ingest/json.ts';
import { MAX_CLASSES } from '../ingest/labels.ts';
import { FLOAT32_OVERFLOW, MAX_LABEL_CHARS } from '../ingest/values.ts';
import { MAX_MODEL_FILES, MAX_MODEL_JSON_BYTES, MAX_MODEL_JSON_DEPTH, MAX_MODEL_NAME_CHARS } from './model-upload.ts';

/** A number float32 holds as a finite value: features and regression targets are stored as float32. */
const Float32 = Type.Number({ exclusiveMinimum: -FLOAT32_OVERFLOW, exclusiveMaximum: FLOAT32_OVERFLOW });

/** One example of rank `rank`: a number (rank 0), or non-empty arrays nested `rank` deep with numbers inside. */
function exampleOfRank(rank: number, maxFeatures: number): TSchema {
  let schema: TSchema = Float32;
  for (let level = 0; level < rank; level++) schema = Type.Array(schema, { minItems: 1, maxItems: maxFeatures });
  return schema;
}

const sizeLimit = (config: Config) =>
  `at most ${config.MAX_DATASET_BYTES} bytes (MAX_DATASET_BYTES; 413 above), sent at ${config.UPLOAD_MIN_BYTES_PER_SECOND} ` +
  `bytes a second at least over any ${config.UPLOAD_IDLE_TIMEOUT_MS} ms (UPLOAD_MIN_BYTES_PER_SECOND, UPLOAD_IDLE_TIMEOUT_MS; ` +
  '408 and nothing kept below)';

function datasetCsv(config: Config): TSchema {
  return Type.String({
    minLength: 1,
    description:
      'CSV with a header row. The column named by ?label= (required for CSV) holds the labels: class names, or numbers ' +
      `(?task= decides how they are read); every other column is a numeric feature, a finite float32, at most ` +
      `${config.MAX_FEATURES} of them (MAX_FEATURES). Every row has the header's number of fields; a line takes at most ` +
      `${maxCsvLineBytes(config.MAX_FEATURES)} bytes, a label at most ${MAX_LABEL_CHARS} characters. The body: ${sizeLimit(config)}.`,
    examples: ['sepal_length,sepal_width,species\n5.1,3.5,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n'],
  });
}

function datasetJson(config: Config): TSchema {
  const examples = Array.from({ length: MAX_EXAMPLE_RANK + 1 }, (_, rank) => exampleOfRank(rank, config.MAX_FEATURES));
  const label = Type.Union([Type.Number(), Type.String({ maxLength: MAX_LABEL_CHARS })]);
  return Type.Object(
    {
      x: Type.Array(Type.Union(examples), {
        minItems: 1,
        description:
          `the examples: each a number, or arrays of numbers nested up to ${MAX_EXAMPLE_RANK} deep (e.g. [28, 28, 1] for an ` +
          `image), all with x[0]'s shape and at most ${config.MAX_FEATURES} numbers each (MAX_FEATURES); every number a finite ` +
          'float32 (magnitudes up to 3.4e38)',
      }),
      y: Type.Union(
        [
          Type.Array(label, {
            minItems: 1,
            description:
              `one label per example, in x's order: class names or numbers (?task= decides how numbers are read), at most ` +
              `${MAX_CLASSES} distinct classes; numbers read as regression targets must be finite float32`,
          }),
          Type.Array(Type.Array(Float32, { minItems: 1, maxItems: MAX_TARGET_DIMS }), {
            minItems: 1,
            description: 'regression targets, one row per example, every row as long as y[0] (regression only)',
          }),
        ],
        {
          description:
            `the labels, one per example. y may come before x: then up to ${Y_FIRST_MAX_VALUES} of its values are held ` +
            'until the examples arrive, so send x first (as JSON.stringify({ x, y }) does) for datasets larger than that',
        },
      ),
    },
    {
      additionalProperties: false,
      description: `JSON { x, y }, read while it arrives: ${sizeLimit(config)}.`,
      examples: [
        {
          x: [
            [0, 1],
            [1, 0],
            [1, 1],
          ],
          y: [1, 1, 0],
        },
      ],
    },
  );
}

/** POST /v1/datasets: the same dataset as the raw body (by its Content-Type) or as the one file of a multipart body. */
export function datasetUploadBody(config: Config): Record<string, TSchema> {
  const csv = datasetCsv(config);
  return {
    'text/csv': csv,
    'text/plain': csv, // read as CSV too
    'application/json': datasetJson(config),
    'multipart/form-data': Type.Object(
      {
        file: Type.String({
          format: 'binary',
          description:
            'the dataset: JSON { x, y } (as application/json above) when the part has Content-Type application/json or a file ' +
            `name ending in .json, CSV (as text/csv above) otherwise; ${sizeLimit(config)}`,
        }),
      },
      { additionalProperties: false, description: 'one part only: the file (a further part is refused)' },
    ),
  };
}

/** POST /v1/models: model.json and the weight files it names, as multipart parts. */
export function modelUploadBody(config: Config): Record<string, TSchema> {
  return {
    'multipart/form-data': Type.Object(
      {
        'model.json': Type.String({
          format: 'binary',
          description:
            'a TensorFlow.js layers model as model.save() or tfjs-converter writes it: modelTopology and weightsManifest, ' +
            `float32 weights only; at most ${MAX_MODEL_JSON_BYTES} bytes, nested ${MAX_MODEL_JSON_DEPTH} levels at most`,
        }),
        name: Type.Optional(Type.String({ description: `a name for the model, kept to its first ${MAX_MODEL_NAME_CHARS} characters` })),
      },
      {
        additionalProperties: Type.String({ format: 'binary', description: "a weight file named in model.json's weightsManifest paths" }),
        description:
          `model.json and every weight file it names, no other: at most ${MAX_MODEL_FILES} files and ${config.MAX_UPLOAD_BYTES} ` +
          'bytes together (MAX_UPLOAD_BYTES; 413 above). A file part is known by its file name (its field name when it has ' +
          "none), which must match the manifest's paths; each weight group's files hold exactly its weights' bytes.",
      },
    ),
  };
}
