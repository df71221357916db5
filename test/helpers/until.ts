/**
 * Waiting in tests for something observable. No deadline of its own: a deadline shorter than
 * the test's own timeout is what fails a correct test on a busy machine. The runner's timeout
 * (`--test-timeout` in package.json) bounds every wait, and names the test that waited.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every `intervalMs` until it answers true. */
export async function until(probe: () => boolean | Promise<boolean>, intervalMs = 50): Promise<void> {
  while (!(await probe())) await sleep(intervalMs);
}

/** Polls `read` until `done` holds for its answer; returns that answer. */
export async function untilValue<T>(read: () => Promise<T>, done: (value: T) => boolean, intervalMs = 100): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await sleep(intervalMs);
  }
}
