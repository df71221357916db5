/**
 * Loaded into every test file's process (package.json's "test": --import). Once a file's tests
 * have all run, a handle it left open (a socket, a timer, a child) must not keep its process,
 * and so the whole suite, alive: the runner's --test-timeout bounds tests, not a process that
 * will not exit after them. --test-force-exit would end it, but with it Node 20 prints no
 * coverage. So: a grace period after the file's last test and clean-up, then a line naming the file, and
 * exit with the code the runner set (1 when a test failed).
 * Only in the runner's children (NODE_TEST_CONTEXT), never in the runner itself.
 * JavaScript, not TypeScript: loaded before tsx's hooks are in place.
 */
import { after, before } from 'node:test';

const GRACE_MS = 60_000;

if (process.env.NODE_TEST_CONTEXT?.startsWith('child')) {
  // Registered when the root's first hook runs, after the file's own top-level `after`s were
  // registered on import: so it runs last, once their clean-up is over.
  before(() => {
    after(() => {
      setTimeout(() => {
        process.stderr.write(`exit-guard: ${process.argv[1]} left handles open ${GRACE_MS / 1000} s after its tests; ending it\n`);
        process.exit();
      }, GRACE_MS).unref();
    });
  });
}
