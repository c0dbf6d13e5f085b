import { chromium, type BrowserContext, type Request } from 'playwright-core';
import type { AfterHook } from './cleanup.ts';
import { peerPath } from './peers.ts';
import { tempDir } from './tmp.ts';

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

/** Starts Chromium with a fresh `--user-data-dir` (closed after the test when `t` is given). */
export async function launchChromium(t: AfterHook | undefined, options: BrowserOptions = {}): Promise<TestBrowser> {
  const profile = await tempDir('ferry-chromium', t);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: peerPath('chromium'),
    headless: true,
    args: CHROMIUM_FLAGS,
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    colorScheme: options.colorScheme ?? 'light',
    viewport: options.viewport ?? { width: 1280, height: 800 },
    ...(options.httpCredentials ? { httpCredentials: options.httpCredentials } : {}),
  });
  const requests: Request[] = [];
  context.on('request', (request) => requests.push(request));
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await context.close();
  };
  t?.after(close);
  return { context, requests, close };
}
