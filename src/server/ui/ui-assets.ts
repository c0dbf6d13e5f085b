import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { FerryError } from '../../errors.ts';
import { ASSET_PREFIX } from './ui-paths.ts';

/** The files under `assets/`, shipped in the package (and copied to dist/ by the build). */
const FILES: Record<string, string> = {
  'ui.css': 'text/css; charset=utf-8',
  'ui.js': 'text/javascript; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};

/** One asset in memory, with the content-hashed URL pages link to. */
export interface UiAsset {
  body: Buffer;
  contentType: string;
  /** `/-/assets/ui.css?v=<hash>`: a new release changes the URL, so browsers may keep it forever. */
  href: string;
}

/** The stylesheet, the script and the icon, by file name. */
export type UiAssets = ReadonlyMap<string, UiAsset>;

/**
 * Loads the UI's assets once, at start-up: nothing is fetched from anywhere
 * else, ever (no CDN, no web font), so the UI works inside an air gap.
 */
export async function loadUiAssets(): Promise<UiAssets> {
  const assets = new Map<string, UiAsset>();
  for (const [file, contentType] of Object.entries(FILES)) {
    const url = new URL(`./assets/${file}`, import.meta.url);
    let body: Buffer;
    try {
      body = await readFile(url);
    } catch (error) {
      throw new FerryError('IO', `the web UI's ${file} is missing from ${url.pathname}: ${(error as Error).message}`, {
        cause: error,
        hint: 'reinstall ferry, or run it with --ui=false',
      });
    }
    const version = createHash('sha256').update(body).digest('hex').slice(0, 12);
    assets.set(file, { body, contentType, href: `${ASSET_PREFIX}${file}?v=${version}` });
  }
  return assets;
}
