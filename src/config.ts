/**
 * The environment, parsed once into one frozen, typed object. Nothing else reads process.env.
 * A bad value stops the process with the variable's name (env-schema's error says which).
 */
import envSchema from 'env-schema';
import { Type, type Static } from 'typebox';

const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

/** A string out of a fixed list; one plain "must be equal to one of the allowed values" error. */
function oneOf<const T extends readonly string[]>(values: T, defaultValue: T[number]) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], default: defaultValue });
}

const ConfigSchema = Type.Object({
  /** HTTP port of the API. */
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  /** Interface the API binds to; loopback by default so a fresh install is not exposed. */
  HOST: Type.String({ default: '127.0.0.1' }),
  /** PostgreSQL; the database is created at start if it does not exist. */
  DATABASE_URL: Type.String({ default: 'postgresql://postgres@127.0.0.1:5432/trainer' }),
  /** Redis for the queue. The database index (/0../15) keeps two instances apart on one Redis. */
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379/0' }),
  /** BullMQ queue name; also the Redis key prefix of the cancel channel. */
  QUEUE_NAME: Type.String({ default: 'training', pattern: '^[A-Za-z0-9_-]+$' }),
  /** TensorFlow.js backend: auto tries tensorflow-gpu, tensorflow, wasm, cpu in that order. */
  TFJS_BACKEND: oneOf(BACKENDS, 'auto'),
  /**
   * Jobs a worker process trains at once, each in its own child process. Unset: one per core on
   * CPU backends, one per GPU on tensorflow-gpu, as many as fit in memory at the children's
   * ceilings (worker/concurrency.ts); the worker logs what it chose.
   */
  WORKER_CONCURRENCY: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  /**
   * Threads native TensorFlow (tensorflow, tensorflow-gpu) uses inside one training child, for its
   * intra-op and inter-op pools. Unlike wasm (one thread per process under Node), it spreads every
   * op over all cores itself (oneDNN/Eigen), so two children on one machine would fight for the
   * same cores. Unset: half the cores (worker/concurrency.ts defaultNativeThreads, measured), so
   * cores ÷ TF_NUM_THREADS = two children train side by side; set it to the cores for one job
   * at a time over the whole machine. The child hands it to
   * TensorFlow as TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS before the backend loads:
   * tfjs-node 4.22 creates its context with default options, so TensorFlow reads those variables.
   */
  TF_NUM_THREADS: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
  /** A training child is replaced after this many jobs: tfjs leaks memory outside its tensor count. */
  WORKER_JOBS_PER_CHILD: Type.Integer({ default: 20, minimum: 1 }),
  /** A job is started at most this many times when its training process crashes. */
  JOB_ATTEMPTS: Type.Integer({ default: 3, minimum: 1, maximum: 20 }),
  /** BullMQ lock: a worker that stops renewing it for this long is considered dead. */
  JOB_LOCK_MS: Type.Integer({ default: 30000, minimum: 1000 }),
  /** How often workers look for jobs whose worker died (stalled jobs). */
  STALLED_INTERVAL_MS: Type.Integer({ default: 30000, minimum: 500 }),
  /** A job that stalls more often than this fails instead of starting again. */
  MAX_STALLED_COUNT: Type.Integer({ default: 2, minimum: 0 }),
  /** How long shutdown waits for running steps and connections before it exits anyway. */
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 30000, minimum: 0 }),
  /** Largest accepted request body: job specs are small, so 1 MiB is ample. */
  MAX_BODY_BYTES: Type.Integer({ default: 1048576, minimum: 1024 }),
  /** Largest model upload (model.json and weight files together), held in memory once to store it. */
  MAX_UPLOAD_BYTES: Type.Integer({ default: 104857600, minimum: 1024 }),
  /** Largest dataset upload. CSV and JSON are both streamed: memory stays at a slice or two of 1 MiB (ingest/chunks.ts). */
  MAX_DATASET_BYTES: Type.Integer({ default: 1073741824, minimum: 1024 }),
  /** Upper bounds of a job: keep one request from taking a machine for days. */
  MAX_EPOCHS: Type.Integer({ default: 1000, minimum: 1 }),
  MAX_BATCH_SIZE: Type.Integer({ default: 8192, minimum: 1 }),
  MAX_PARAMETERS: Type.Integer({ default: 5000000, minimum: 1 }),
  /** Most optimizer steps (epochs × batches) one job may take: 10^8 steps is weeks on one worker. */
  MAX_STEPS: Type.Integer({ default: 1000000, minimum: 1 }),
  /** Wall time of one job; past it the job fails with "time limit reached" and keeps its checkpoint and metrics. */
  MAX_JOB_SECONDS: Type.Integer({ default: 86400, minimum: 1 }),
  /** Estimated peak memory of one job (weights, optimizer slots, activations at the batch size); 0 = what one child may use. */
  MAX_JOB_MEMORY_BYTES: Type.Integer({ default: 0, minimum: 0 }),
  /** V8 heap ceiling of a training child (--max-old-space-size), so one job cannot take the machine. */
  CHILD_MAX_HEAP_MB: Type.Integer({ default: 4096, minimum: 64 }),
  /** Ceiling of a training child's wasm memory; a job that needs more fails in words and the child is retired. */
  CHILD_MAX_WASM_MB: Type.Integer({ default: 2048, minimum: 16, maximum: 4096 }),
  /**
   * Whole request, headers and body, from its first byte (Node's requestTimeout; 408 past it):
   * the last resort against a client that keeps a request open. An hour lets a 1 GiB upload
   * arrive at 300 KB/s; the upload guards below cut a stalled one off far sooner.
   */
  REQUEST_TIMEOUT_MS: Type.Integer({ default: 3600000, minimum: 100 }),
  /** Request line and headers (Node's headersTimeout; 408 past it). Apache's mod_reqtimeout allows 20-40 s. */
  HEADERS_TIMEOUT_MS: Type.Integer({ default: 30000, minimum: 100 }),
  /** An idle keep-alive connection is closed after this long; Fastify's 72 s outlasts load balancers' 60 s. */
  KEEP_ALIVE_TIMEOUT_MS: Type.Integer({ default: 72000, minimum: 100 }),
  /** A connection with no byte either way for this long is closed (longer than the SSE heartbeat of 15 s). */
  CONNECTION_TIMEOUT_MS: Type.Integer({ default: 120000, minimum: 1000 }),
  /**
   * Dataset uploads at once in one API process, and per tenant: one more is a 429 with Retry-After.
   * An upload holds no database connection while it waits for its body (see UPLOAD_DB_CONNECTIONS).
   */
  UPLOAD_MAX_CONCURRENT: Type.Integer({ default: 16, minimum: 1 }),
  UPLOAD_MAX_CONCURRENT_PER_TENANT: Type.Integer({ default: 4, minimum: 1 }),
  /** PostgreSQL connections the uploads of one API process write their slices through, each only while writing one. */
  UPLOAD_DB_CONNECTIONS: Type.Integer({ default: 4, minimum: 1, maximum: 100 }),
  /**
   * An upload whose body stalls this long (no byte, or fewer than UPLOAD_MIN_BYTES_PER_SECOND on
   * average over this window) is cut off with a 408 and removed; time the service itself spends
   * not reading (writing slices) does not count against the client.
   */
  UPLOAD_IDLE_TIMEOUT_MS: Type.Integer({ default: 30000, minimum: 100 }),
  /**
   * Slowest accepted upload body, in bytes a second over UPLOAD_IDLE_TIMEOUT_MS (Apache
   * mod_reqtimeout's MinRate is 500). 0: only a body that stops altogether is cut off.
   */
  UPLOAD_MIN_BYTES_PER_SECOND: Type.Integer({ default: 500, minimum: 0 }),
  /**
   * How often an API process marks its uploads under way as alive and removes the pending rows of
   * uploads that are not (their process died, or their clean-up met a database that was down):
   * a pending row untouched for UPLOAD_IDLE_TIMEOUT_MS + 2 × this is abandoned. Also once at start.
   * Every API process on one database must use the same two values.
   */
  UPLOAD_SWEEP_INTERVAL_MS: Type.Integer({ default: 15000, minimum: 100 }),
  /** Feature columns of one dataset example (CSV columns or JSON values per row). */
  MAX_FEATURES: Type.Integer({ default: 100000, minimum: 1 }),
  /** How often PostgreSQL's queued and running jobs are reconciled with Redis (also once at start). */
  RECONCILE_INTERVAL_MS: Type.Integer({ default: 30000, minimum: 200 }),
  /** Seconds between checkpoints of a running job; 0 = after every epoch. */
  CHECKPOINT_INTERVAL_S: Type.Integer({ default: 60, minimum: 0 }),
  /** Step rows a worker holds while PostgreSQL is down; when full, training waits rather than drop rows. */
  METRICS_BUFFER_ROWS: Type.Integer({ default: 200000, minimum: 1000 }),
  /** Authentication: auto = open on loopback until a key exists, keys required otherwise; off = never (explicit). */
  AUTH: oneOf(['auto', 'off'], 'auto'),
  /** Browser origins allowed to call the API (comma-separated); CORS is off when empty. */
  CORS_ORIGINS: Type.String({ default: '' }),
  /** Host names accepted besides loopback names when bound to loopback (comma-separated): DNS rebinding guard. */
  ALLOWED_HOSTS: Type.String({ default: '' }),
  /** Per tenant: jobs queued + running at once. */
  TENANT_MAX_ACTIVE_JOBS: Type.Integer({ default: 100, minimum: 1 }),
  /** Per tenant: jobs running at once; a worker skips a job whose tenant is at this limit. */
  TENANT_MAX_RUNNING_JOBS: Type.Integer({ default: 4, minimum: 1 }),
  /** Per tenant: bytes of stored datasets and models. */
  TENANT_MAX_STORED_BYTES: Type.Integer({ default: 10737418240, minimum: 0 }),
  /** Per tenant (per client address when open): requests per second, shared by every API process through Redis. */
  RATE_LIMIT_PER_SECOND: Type.Integer({ default: 50, minimum: 1 }),
  /**
   * Wrong API keys one client address (an IPv6 /64) may send in AUTH_FAILURE_WINDOW_S before its
   * further unknown keys are answered 429 without a database lookup, until the window ends. Keys
   * this process has seen valid still work from that address. Counted per API process.
   */
  AUTH_FAILURE_LIMIT: Type.Integer({ default: 20, minimum: 1 }),
  /** The window of AUTH_FAILURE_LIMIT, in seconds. */
  AUTH_FAILURE_WINDOW_S: Type.Integer({ default: 60, minimum: 1, maximum: 86400 }),
  /** Webhooks may call loopback, private and link-local addresses only when this is true. */
  WEBHOOK_ALLOW_PRIVATE: Type.Boolean({ default: false }),
  /** Variants one comparison may hold. */
  MAX_COMPARISON_VARIANTS: Type.Integer({ default: 16, minimum: 1 }),
  /** HMAC-SHA256 key of webhook signatures (`webhook-signature`); a job with `notify` is refused while it is empty. */
  WEBHOOK_SECRET: Type.String({ default: '' }),
  /** pino level for the API and worker logs. */
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
});

export type Config = Readonly<Static<typeof ConfigSchema>>;
export type BackendChoice = (typeof BACKENDS)[number];

/** Parse an environment (process.env by default) into the config; throws naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema<Static<typeof ConfigSchema>>({
    schema: ConfigSchema as object,
    data: env,
    dotenv: false,
  });
  return Object.freeze({ ...parsed });
}
