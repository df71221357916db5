/**
 * Debian's Chromium (`apt-get install chromium`) driven by playwright-core, for the tests that
 * need a real browser. Where it is not installed those tests skip, saying how to install it.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/** A test's `skip` option: false where Chromium is installed, else why the test is skipped. */
export const noChromium: string | false = existsSync(CHROMIUM) ? false : `no ${CHROMIUM}: install it with apt-get install -y chromium`;

/**
 * Headless, with a fresh temporary profile (Playwright gives every launch its own --user-data-dir).
 * No sandbox: tests run as root, where Chromium's sandbox will not start. The other flags turn off
 * the GPU and what would reach the network on its own (QUIC, updates, sync, background fetches).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
