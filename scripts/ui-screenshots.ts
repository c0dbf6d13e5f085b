// Screenshots of ferry serve's web UI for the README: builds the UI test store
// (two bundle imports, multi-arch images, signatures and an SBOM), serves it,
// and photographs each page with headless Chromium into docs/ (or the
// directory given as the first argument).
//   bash scripts/node.sh scripts/ui-screenshots.ts [OUT_DIR]
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startServer } from '../src/server/server.ts';
import { launchChromium } from '../test/helpers/chromium.ts';
import { removeTempDir, tempDir } from '../test/helpers/tmp.ts';
import { buildUiStore, entryNamed } from '../test/fixtures/ui-store.ts';

/** Each page to photograph: file name, path, and whether to capture the whole page. */
export interface Shot {
  file: string;
  path: string;
  dark?: boolean;
}

/** The pages of the README, over the UI test store. */
export async function uiShots(store: Awaited<ReturnType<typeof buildUiStore>>): Promise<Shot[]> {
  const nginx = await entryNamed(store.store, 'library/nginx:1.26.0');
  return [
    { file: 'ui-home.png', path: '/' },
    { file: 'ui-repository.png', path: '/repo/team/app' },
    { file: 'ui-image.png', path: `/image/team/app@${store.signed.image.digest}` },
    { file: 'ui-index.png', path: `/image/library/nginx@${nginx.digest}` },
    { file: 'ui-bundles.png', path: '/bundles' },
    { file: 'ui-home-dark.png', path: '/', dark: true },
  ];
}

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? 'docs');
  await mkdir(out, { recursive: true });
  const root = await tempDir('ferry-ui-screenshots');
  try {
    const store = await buildUiStore(root);
    const server = await startServer({ addr: '127.0.0.1:5000', storage: store.dir, readOnly: true, fsync: false, imports: store.imports });
    try {
      for (const dark of [false, true]) {
        const browser = await launchChromium(undefined, { colorScheme: dark ? 'dark' : 'light', viewport: { width: 1280, height: 860 } });
        try {
          const page = await browser.context.newPage();
          for (const shot of (await uiShots(store)).filter((s) => (s.dark ?? false) === dark)) {
            await page.goto(`${server.url}${shot.path}`);
            await page.screenshot({ path: join(out, shot.file) });
            console.log(join(out, shot.file));
          }
        } finally {
          await browser.close();
        }
      }
    } finally {
      await server.close();
    }
  } finally {
    await removeTempDir(root);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
