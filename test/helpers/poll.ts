import { setTimeout as sleep } from 'node:timers/promises';

/** 400 × 25 ms: ten seconds for something that takes milliseconds, even on a loaded 2-core box. */
const ATTEMPTS = 400;
const INTERVAL_MS = 25;

/**
 * Asks `check` until it returns something other than undefined, and returns
 * that. For states another process reaches on its own (a file written, a
 * server that noticed a disconnect): the test waits for the state, never for
 * a time. Throws, naming `what`, when the state never comes.
 */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(INTERVAL_MS);
  }
  throw new Error(`gave up waiting for ${what}`);
}
