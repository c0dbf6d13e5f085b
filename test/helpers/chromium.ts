import { readdirSync, readFileSync } from 'node:fs';
import { chromium, type BrowserContext, type Request } from 'playwright-core';
import type { AfterHook } from './cleanup.ts';
import { peerPath } from './peers.ts';
import { removeTempDir, tempDir } from './tmp.ts';

/**
 * Debian's headless Chromium driven by playwright-core, for the web UI's
 * browser tests and screenshots: a fresh profile each time, no network
 * besides what the page asks for (no component updates, sync or background
 * fetches), and every request the pages make recorded, so a test can prove
 * that nothing leaves the server under test.
 */

/** Flags that keep Chromium quiet, offline and runnable as root in a container. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface BrowserOptions {
  javaScriptEnabled?: boolean;
  colorScheme?: 'light' | 'dark';
  /** Basic-auth credentials the browser answers a 401 with. */
  httpCredentials?: { username: string; password: string };
  viewport?: { width: number; height: number };
}

export interface TestBrowser {
  context: BrowserContext;
  /** Every request any page of the context made, in order. */
  requests: Request[];
  close(): Promise<void>;
}

/** A browser that has not closed this long after it was asked to is killed. */
const CLOSE_GRACE_MS = 20_000;

/** SIGKILLs every process started with `--user-data-dir=PROFILE` (the browser; its helpers end with it). */
function killChromium(profile: string): void {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    } catch {
      continue; // gone already
    }
    if (!cmdline.split('\0').includes(`--user-data-dir=${profile}`)) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/**
 * Starts Chromium with a fresh `--user-data-dir` (closed after the test when
 * `t` is given, and its profile removed once it has closed: a running
 * browser still writes there). A browser that does not close in time (seen
 * once on a machine at load 20) is killed, so none is left behind; so is
 * one whose launch failed half-way. One whose test process dies exits by
 * itself: its pipe to playwright closes.
 */
export async function launchChromium(t: AfterHook | undefined, options: BrowserOptions = {}): Promise<TestBrowser> {
  // Not handed `t`: removed by close(), after the browser is gone.
  const profile = await tempDir('ferry-chromium');
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: peerPath('chromium'),
      headless: true,
      args: CHROMIUM_FLAGS,
      javaScriptEnabled: options.javaScriptEnabled ?? true,
      colorScheme: options.colorScheme ?? 'light',
      viewport: options.viewport ?? { width: 1280, height: 800 },
      ...(options.httpCredentials ? { httpCredentials: options.httpCredentials } : {}),
    });
  } catch (error) {
    killChromium(profile);
    await removeTempDir(profile);
    throw error;
  }
  const requests: Request[] = [];
  context.on('request', (request) => requests.push(request));
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    const timer = setTimeout(() => killChromium(profile), CLOSE_GRACE_MS);
    try {
      await context.close();
    } finally {
      clearTimeout(timer);
      // Whatever the close did, no process may still write into the profile.
      killChromium(profile);
      await removeTempDir(profile);
    }
  };
  t?.after(close);
  return { context, requests, close };
}
