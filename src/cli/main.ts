/**
 * `trainer`: the command-line client (npx trainer …, npm run cli -- …). Uses only the public
 * HTTP API, at TRAINER_URL (default http://127.0.0.1:3000) with TRAINER_API_KEY if set.
 * Exit codes: 0 done, 1 the job or comparison failed or was canceled, 2 bad usage, 3 the API
 * refused the request or could not be reached.
 */
import { parseArgs } from 'node:util';
import { ApiClient, CliError, EXIT } from './client.ts';
import { compare, plot } from './commands/compare.ts';
import { cancel, download, get, list, submit } from './commands/jobs.ts';

const USAGE = `usage: trainer <command> [options]

  submit JOB.json [--follow]        submit a job; --follow shows its progress and exits 1 if it fails
  list [--status S] [--limit N] [--json]
  get ID                            the job as JSON
  cancel ID
  download ID DIR                   model.json, weights.bin, optimizer-state.json into DIR
  compare COMPARISON.json [--follow]  start a comparison; --follow shows its table live
  plot ID OUT.svg                   the loss curve as SVG

environment: TRAINER_URL (default http://127.0.0.1:3000), TRAINER_API_KEY
exit codes: 0 done, 1 job failed or canceled, 2 bad usage, 3 API error or unreachable
`;

/** [command, number of positional arguments it takes]. */
const ARITY: Record<string, number> = { submit: 1, list: 0, get: 1, cancel: 1, download: 2, compare: 1, plot: 2 };

export async function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        follow: { type: 'boolean', short: 'f', default: false },
        json: { type: 'boolean', default: false },
        status: { type: 'string' },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${USAGE}`, EXIT.usage);
  }
  const [command, ...args] = parsed.positionals;
  if (parsed.values.help || command === 'help') {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (!command || !(command in ARITY))
    throw new CliError(`${command ? `unknown command ${command}` : 'no command'}\n\n${USAGE}`, EXIT.usage);
  if (args.length !== ARITY[command]) {
    throw new CliError(`${command} takes ${ARITY[command]} argument(s), got ${args.length}\n\n${USAGE}`, EXIT.usage);
  }
  const client = new ApiClient(env.TRAINER_URL || 'http://127.0.0.1:3000', env.TRAINER_API_KEY || undefined);
  const { follow, json, status, limit } = parsed.values;
  switch (command) {
    case 'submit':
      return submit(client, args[0], follow);
    case 'list':
      return list(client, { status, limit, json });
    case 'get':
      return get(client, args[0]);
    case 'cancel':
      return cancel(client, args[0]);
    case 'download':
      return download(client, args[0], args[1]);
    case 'compare':
      return compare(client, args[0], follow);
    default:
      return plot(client, args[0], args[1]);
  }
}

run(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`trainer: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`trainer: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = EXIT.api;
    }
  },
);
