/**
 * Why a job stops before its last step: the one vocabulary of the worker, the training child
 * and the training loop.
 *   cancel    the user canceled it: it ends, no checkpoint.
 *   shutdown  the worker shuts down: a checkpoint first, another attempt continues from it.
 *   timeout   its time ran out (JOB_TIMEOUT): as shutdown.
 */
export type StopReason = 'cancel' | 'shutdown' | 'timeout';

/** Whether the loop saves a checkpoint before it stops, for a later attempt to continue exactly. */
export const keepsCheckpoint = (reason: StopReason): boolean => reason !== 'cancel';
