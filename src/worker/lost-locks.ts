/**
 * BullMQ saying that a running job's lock is gone from Redis. After Redis lost its data (a restart
 * without persistence, a flush) it says so for each running job at every lock renewal (every
 * quarter of JOB_LOCK_MS) and once more when the job ends, each time as an 'error' event. That is
 * expected and harmless: PostgreSQL fences the attempt, and the reconciler makes Redis agree
 * again. So it is one warning per job, and its repeats go to the debug level, where they do not
 * bury a real error.
 */
import { ErrorCode } from 'bullmq';
import type { Logger } from 'pino';

/** What BullMQ's scripts answer when a job's key or lock is not there (or is another worker's). */
const LOST_LOCK_CODES: ReadonlySet<number> = new Set([ErrorCode.JobNotExist, ErrorCode.JobLockNotExist, ErrorCode.JobLockMismatch]);
/** The lock renewal's error has no code, only BullMQ's words (lock-manager.js), which a test pins. */
const RENEWAL_FAILED = 'could not renew lock for job ';
/** BullMQ names the job in its messages as "… for job <id>. …" (errors/finished-errors.js). */
const JOB_IN_MESSAGE = /for job ([^\s.]+)/;

/** The job whose lock the error says is lost, or undefined when it says something else. */
export function lostLockOf(err: Error): string | undefined {
  const code = (err as Error & { code?: unknown }).code;
  const lost = (typeof code === 'number' && LOST_LOCK_CODES.has(code)) || err.message.startsWith(RENEWAL_FAILED);
  return lost ? (JOB_IN_MESSAGE.exec(err.message)?.[1] ?? 'unknown') : undefined;
}

export class LostLocks {
  /** Jobs warned about, oldest first; bounded, as a worker may run for months. */
  private readonly warned = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly remembered = 10_000,
  ) {}

  /** Logs the worker's error when it is a lost lock, and answers whether it was one. */
  handled(err: Error): boolean {
    const jobId = lostLockOf(err);
    if (jobId === undefined) return false;
    if (this.warned.has(jobId)) {
      this.log.debug({ jobId, err: err.message }, 'BullMQ lock still lost');
      return true;
    }
    this.warned.add(jobId);
    if (this.warned.size > this.remembered) this.warned.delete(this.warned.values().next().value!);
    this.log.warn(
      { jobId, err: err.message },
      'BullMQ lost the lock of a running job (Redis lost its data?); PostgreSQL still fences its attempt',
    );
    return true;
  }

  /** Jobs whose locks BullMQ renewed: a later loss is news again. */
  renewed(jobIds: readonly string[]): void {
    for (const id of jobIds) this.warned.delete(id);
  }
}
