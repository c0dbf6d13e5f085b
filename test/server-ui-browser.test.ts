import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page, Response } from 'playwright-core';
import { startServer, type RunningServer } from '../src/server/server.ts';
import { launchChromium, type TestBrowser } from './helpers/chromium.ts';
import { peerPath, requirePeer } from './helpers/peers.ts';
import { skopeo, skopeoInspectRaw } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { buildUiStore, type UiStore } from './fixtures/ui-store.ts';

/**
 * The web UI of `ferry serve` in Debian's headless Chromium: a store made by
 * two bundle imports (multi-arch indexes, a cosign .sig tag, an SBOM and a
 * signature referrer) is browsed Home → Repository → Image → referrer, and
 * what the pages say (digests, platforms, sizes, layers, labels) is checked
 * against what skopeo reports for the same images from the same server.
 * Every request the pages make is recorded: none may leave 127.0.0.1.
 */

const skip = requirePeer('chromium', 'skopeo');

interface Row {
  tag: string;
  digest: string;
  platforms: string[];
  bytes: number | undefined;
  signatures: string[];
}

/** The tag table of a repository page, as text. */
function tagRows(page: Page): Promise<Row[]> {
  return page.$$eval('#results tbody tr', (trs) => trs.map((tr) => {
    const cells = tr.querySelectorAll('td');
    const link = tr.querySelector('th a')!;
    const bytes = cells[3]!.querySelector('span[title]')?.getAttribute('title');
    return {
      tag: link.getAttribute('title') ?? link.textContent!,
      digest: cells[0]!.querySelector('code')!.getAttribute('title')!,
      platforms: [...cells[2]!.querySelectorAll('.chip')].map((c) => c.textContent!),
      bytes: bytes ? Number(bytes.replace(/[^0-9]/g, '')) : undefined,
      signatures: [...cells[5]!.querySelectorAll('.chip')].map((c) => c.textContent!),
    };
  }));
}

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface RawImage {
  config: { size: number; digest: string };
  layers: Array<{ size: number; digest: string; mediaType: string }>;
  manifests?: Array<{ digest: string; platform?: { os: string; architecture: string; variant?: string } }>;
}

/** What skopeo says about an image: its digest, platforms, and unique bytes (manifests, configs, layers). */
async function skopeoView(host: string, repository: string, reference: string): Promise<{ digest: string; platforms: string[]; bytes: number }> {
  const ref = `docker://${host}/${repository}${reference}`;
  const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', ref]);
  const manifest = JSON.parse(raw.stdout.toString('utf8')) as RawImage;
  const blobs = new Map<string, number>([[sha256(raw.stdout), raw.stdout.length]]);
  const platforms: string[] = [];
  const add = (m: RawImage): void => {
    blobs.set(m.config.digest, m.config.size);
    for (const l of m.layers) blobs.set(l.digest, l.size);
  };
  if (manifest.manifests) {
    for (const child of manifest.manifests) {
      const p = child.platform!;
      platforms.push([p.os, p.architecture, p.variant].filter(Boolean).join('/'));
      const childRaw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${host}/${repository}@${child.digest}`]);
      blobs.set(child.digest, childRaw.stdout.length);
      add(JSON.parse(childRaw.stdout.toString('utf8')) as RawImage);
    }
  } else {
    add(manifest);
    const inspected = JSON.parse((await skopeo(['inspect', '--tls-verify=false', ref])).stdout.toString('utf8')) as { Os: string; Architecture: string };
    platforms.push(`${inspected.Os}/${inspected.Architecture}`);
  }
  return { digest: sha256(raw.stdout), platforms, bytes: [...blobs.values()].reduce((a, b) => a + b, 0) };
}

/** In the page: WCAG relative luminance of the background and contrast ratios of text, muted text, links and chips. */
const CONTRAST = `(() => {
  const rgb = (css) => css.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = c.map((v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => (Math.max(lum(a), lum(b)) + 0.05) / (Math.min(lum(a), lum(b)) + 0.05);
  const style = (selector) => getComputedStyle(document.querySelector(selector));
  const bg = rgb(getComputedStyle(document.documentElement).backgroundColor);
  const of = (selector) => ratio(rgb(style(selector).color), bg);
  return { background: lum(bg), text: of('h1'), muted: of('p.muted'), link: of('tbody a'), chip: ratio(rgb(style('.chip').color), rgb(style('.chip').backgroundColor)) };
})()`;

function assertLocal(browser: TestBrowser, server: RunningServer): void {
  assert.ok(browser.requests.length > 0, 'the pages made requests');
  for (const request of browser.requests) {
    const url = new URL(request.url());
    assert.equal(url.hostname, '127.0.0.1', `request to ${request.url()} left the server`);
    assert.equal(url.origin, server.url, request.url());
  }
}

/** A browser step that hangs fails the test instead of the run (a loaded 2-core box needs seconds per page). */
const TIMEOUT_MS = 180_000;

describe('the web UI in Chromium', { skip, timeout: TIMEOUT_MS }, () => {
  let store: UiStore;
  let server!: RunningServer;
  let root: string;
  let shots: string;

  before(async () => {
    root = await tempDir('ui-browser');
    shots = await tempDir('ui-screenshots');
    store = await buildUiStore(root);
    server = await startServer({ addr: '127.0.0.1:0', storage: store.dir, fsync: false, imports: store.imports });
  });
  after(async () => {
    await server?.close();
    await removeTempDir(root);
    await removeTempDir(shots);
  });

  test('home → repository → image → referrer, each page agreeing with skopeo', async (t) => {
    const browser = await launchChromium(t);
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const host = server.host;

    // Home: every repository with its tag count (as skopeo list-tags counts them), the store's figures, the last bundle.
    const home = await page.goto(`${server.url}/`);
    assert.equal(home?.status(), 200);
    await page.screenshot({ path: join(shots, 'home.png') });
    const repos = await page.$$eval('#results tbody tr', (trs) => trs.map((tr) => [tr.querySelector('th a')!.textContent!, tr.querySelector('td')!.textContent!]));
    assert.deepEqual(repos.map(([name]) => name), ['library/nginx', 'team/app', 'tools/kubectl']);
    for (const [name, count] of repos) {
      const listed = JSON.parse((await skopeo(['list-tags', '--tls-verify=false', `docker://${host}/${name}`])).stdout.toString('utf8')) as { Tags: string[] };
      assert.equal(Number(count), listed.Tags.length, `${name} tag count`);
    }
    const summary = await page.locator('#summary').innerText();
    assert.match(summary, /Repositories\s+3/);
    assert.match(summary, /Tags\s+8/);
    assert.ok(summary.includes(store.bundles[1].slice(0, 13)), `the last bundle imported is named: ${summary}`);

    // Repository: per tag the digest, platforms and size skopeo reports; signatures where they are.
    await page.getByRole('link', { name: 'library/nginx' }).click();
    await page.waitForURL(/\/repo\/library\/nginx$/);
    await page.screenshot({ path: join(shots, 'repository-nginx.png') });
    const nginx = await tagRows(page);
    assert.deepEqual(nginx.map((r) => r.tag), ['1.26.0', '1.25.3', '1.24.0'], 'newest version first');
    for (const row of nginx) {
      const want = await skopeoView(host, 'library/nginx', `:${row.tag}`);
      assert.equal(row.digest, want.digest, `${row.tag} digest`);
      assert.deepEqual(row.platforms, want.platforms, `${row.tag} platforms`);
      assert.equal(row.bytes, want.bytes, `${row.tag} size`);
    }

    await page.goto(`${server.url}/`);
    await page.getByRole('link', { name: 'team/app' }).click();
    await page.waitForURL(/\/repo\/team\/app$/);
    await page.screenshot({ path: join(shots, 'repository-app.png') });
    const app = await tagRows(page);
    for (const row of app) {
      const want = await skopeoView(host, 'team/app', `:${row.tag}`);
      assert.equal(row.digest, want.digest, `${row.tag} digest`);
      if (!row.tag.endsWith('.sig')) assert.deepEqual(row.platforms, want.platforms, `${row.tag} platforms`);
      assert.equal(row.bytes, want.bytes, `${row.tag} size`);
    }
    const signed = app.find((r) => r.tag === '2.0.1')!;
    assert.deepEqual(signed.signatures.sort(), ['SBOM', 'cosign .sig', 'signature']);
    assert.deepEqual(app.find((r) => r.tag === '1.9.0')!.signatures, [], 'an unsigned image shows none');

    // Image: layers, labels and environment as skopeo inspect reports them.
    await page.getByRole('link', { name: '2.0.1', exact: true }).click();
    await page.waitForURL(/\/image\/team\/app@sha256:/);
    await page.screenshot({ path: join(shots, 'image.png'), fullPage: true });
    assert.equal(await page.locator('h1').innerText(), 'team/app:2.0.1');
    const inspected = JSON.parse((await skopeo(['inspect', '--tls-verify=false', `docker://${host}/team/app:2.0.1`])).stdout.toString('utf8')) as {
      Digest: string; Labels: Record<string, string>; Env: string[]; Layers: string[]; Created: string;
    };
    // skopeo 1.9 has no LayersData: digests from inspect, sizes and media types from the raw manifest it fetches.
    const rawApp = (await skopeoInspectRaw(`docker://${host}/team/app:2.0.1`, { tlsVerify: false })) as RawImage;
    const layers = await page.$$eval('#layers + .table-wrap tbody tr', (trs) => trs.map((tr) => ({
      mediaType: tr.querySelectorAll('td')[1]!.textContent!, size: Number(tr.querySelectorAll('td')[2]!.querySelector('span')!.getAttribute('title')!.replace(/[^0-9]/g, '')), digest: tr.querySelector('code')!.getAttribute('title')!,
    })));
    assert.deepEqual(layers.map((l) => l.digest), inspected.Layers);
    assert.deepEqual(layers, rawApp.layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })));
    assert.equal(await page.locator('#config + dl time').first().getAttribute('datetime'), new Date(inspected.Created).toISOString());
    const labels = await page.$$eval('#labels + .table-wrap tbody tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.querySelector('th')!.textContent!, tr.querySelector('code')!.textContent!])));
    assert.deepEqual(labels, inspected.Labels);
    const env = await page.$$eval('#env + .table-wrap tbody tr', (trs) => trs.map((tr) => `${tr.querySelector('th')!.textContent!}=${tr.querySelector('code')!.textContent!}`));
    assert.deepEqual(env, inspected.Env);
    assert.ok((await page.locator('main').innerText()).includes(inspected.Digest));

    // Referrers: what the referrers API lists, plus the cosign tag; the raw manifest behind its toggle.
    const api = JSON.parse(await (await fetch(`${server.url}/v2/team/app/referrers/${inspected.Digest}`)).text()) as { manifests: Array<{ digest: string }> };
    const listed = await page.$$eval('#referrers + .table-wrap tbody tr code[title]', (codes) => codes.map((c) => c.getAttribute('title')));
    assert.deepEqual(new Set(listed), new Set([...api.manifests.map((m) => m.digest), store.signed.sig.digest]));
    assert.equal(await page.locator('details.raw pre').first().isVisible(), false, 'raw JSON is behind a toggle');
    await page.locator('details.raw summary').first().click();
    const rawText = await page.locator('details.raw pre').first().innerText();
    assert.deepEqual(JSON.parse(rawText), await skopeoInspectRaw(`docker://${host}/team/app:2.0.1`, { tlsVerify: false }));

    await page.locator('#referrers + .table-wrap').getByRole('link').filter({ hasText: store.signed.sbom.digest.slice(7, 19) }).click();
    await page.waitForURL(new RegExp(`/image/team/app@${store.signed.sbom.digest}$`));
    await page.screenshot({ path: join(shots, 'referrer.png') });
    const referrer = await page.locator('main').innerText();
    assert.match(referrer, /artifact/);
    assert.match(referrer, /application\/spdx\+json/);
    await page.getByRole('link', { name: store.signed.image.digest.slice(7, 19) }).click();
    await page.waitForURL(new RegExp(`/image/team/app@${store.signed.image.digest}$`));

    // Bundles: both imports, newest first, with what arrived.
    await page.getByRole('link', { name: 'Bundles' }).click();
    await page.waitForURL(/\/bundles$/);
    await page.screenshot({ path: join(shots, 'bundles.png') });
    const ids = await page.$$eval('tbody th code', (codes) => codes.map((c) => c.textContent));
    assert.deepEqual(ids, [store.bundles[1], store.bundles[0]]);
    await page.locator('tbody tr').first().locator('summary').click();
    assert.deepEqual((await page.locator('tbody tr').first().locator('li').allInnerTexts()).sort(), ['library/nginx:1.26.0 (new)', 'team/app:2.1.0 (new)']);

    for (const file of ['home.png', 'repository-nginx.png', 'repository-app.png', 'image.png', 'referrer.png', 'bundles.png']) {
      const png = await readFile(join(shots, file));
      assert.ok(png.subarray(1, 4).toString() === 'PNG' && (await stat(join(shots, file))).size > 10_000, `${file} is a screenshot`);
    }
    assert.deepEqual(errors, [], 'no script errors');
    assertLocal(browser, server);
  });

  test('the filter narrows the list as you type, and / jumps to it', async (t) => {
    const browser = await launchChromium(t);
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/`);
    await page.keyboard.press('/');
    assert.equal(await page.locator(':focus').getAttribute('id'), 'filter');
    await page.keyboard.type('app');
    // The script swaps the table, then records the filter in the address.
    await page.waitForURL(/\?q=app$/);
    assert.deepEqual(await page.$$eval('#results tbody th a', (as) => as.map((a) => a.textContent)), ['team/app']);
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('zzz');
    await page.waitForURL(/\?q=zzz$/);
    assert.equal(await page.locator('#results tbody td').textContent(), 'No repository matches.');
    assert.equal(await page.locator('#filter').inputValue(), 'zzz', 'typing is never interrupted');
    assertLocal(browser, server);
  });

  test('the keyboard alone reaches every link: skip link first, then into the table', async (t) => {
    const browser = await launchChromium(t);
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/`);
    await page.keyboard.press('Tab');
    assert.equal(await page.locator(':focus').textContent(), 'Skip to content');
    let found = false;
    for (let i = 0; i < 30 && !found; i++) {
      await page.keyboard.press('Tab');
      found = (await page.locator(':focus').textContent()) === 'tools/kubectl';
    }
    assert.ok(found, 'the repository link is reachable with Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/repo\/tools\/kubectl$/);
    // The pull commands open and close from the keyboard too.
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      if ((await page.locator(':focus').evaluate((e) => e.tagName)) === 'SUMMARY') break;
    }
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('details.popover').first().getAttribute('open'), '');
    assert.match(await page.locator('.popover-body').first().innerText(), /podman pull --tls-verify=false 127\.0\.0\.1:\d+\/tools\/kubectl:v1\.30\.2/);
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('details.popover').first().getAttribute('open'), null);
    assertLocal(browser, server);
  });

  for (const scheme of ['light', 'dark'] as const) {
    test(`the ${scheme} theme follows prefers-color-scheme with readable contrast`, async (t) => {
      const browser = await launchChromium(t, { colorScheme: scheme });
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/repo/team/app`);
      await page.screenshot({ path: join(shots, `repository-${scheme}.png`) });
      const measured = (await page.evaluate(CONTRAST)) as { background: number; text: number; muted: number; link: number; chip: number };
      if (scheme === 'dark') assert.ok(measured.background < 0.05, `dark background, luminance ${measured.background}`);
      else assert.ok(measured.background > 0.9, `light background, luminance ${measured.background}`);
      for (const [what, ratio] of Object.entries(measured)) if (what !== 'background') assert.ok(ratio >= 4.5, `${what} contrast ${ratio.toFixed(2)} < 4.5 in the ${scheme} theme`);
      assertLocal(browser, server);
    });
  }

  test('with JavaScript disabled every page still reads, and the filter works as a form', async (t) => {
    const browser = await launchChromium(t, { javaScriptEnabled: false });
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/`);
    await page.fill('#filter', 'nginx');
    await page.press('#filter', 'Enter');
    await page.waitForURL(/\?q=nginx$/);
    assert.deepEqual(await page.$$eval('#results tbody th a', (as) => as.map((a) => a.textContent)), ['library/nginx']);
    await page.getByRole('link', { name: 'library/nginx' }).click();
    await page.waitForURL(/\/repo\/library\/nginx$/);
    const rows = await tagRows(page);
    assert.equal(rows.length, 3);
    assert.equal(await page.locator('button.copy').first().isVisible(), false, 'copy buttons need the script');
    await page.getByRole('link', { name: 'Created' }).click();
    assert.deepEqual((await tagRows(page)).map((r) => r.tag), ['1.24.0', '1.26.0', '1.25.3'], 'by created date, newest first');
    await page.getByRole('link', { name: '1.24.0' }).click();
    await page.waitForURL(/\/image\/library\/nginx@/);
    await page.screenshot({ path: join(shots, 'index-no-js.png') });
    const platforms = await page.$$eval('#manifests + .table-wrap tbody .chip', (chips) => chips.map((c) => c.textContent));
    assert.deepEqual(platforms, ['linux/amd64', 'linux/arm64/v8']);
    await page.locator('#manifests + .table-wrap tbody a').nth(1).click();
    await page.waitForURL(/\/image\/library\/nginx@/);
    assert.match(await page.locator('#config + dl').innerText(), /linux\/arm64\/v8/);
    await page.locator('details.raw summary').first().click();
    assert.ok(await page.locator('details.raw pre').first().isVisible(), 'details open without script');
    assertLocal(browser, server);
  });
});

describe('the web UI behind --htpasswd', { skip: requirePeer('chromium', 'htpasswd'), timeout: TIMEOUT_MS }, () => {
  test('asks for the API credentials, and works once they are given', async (t) => {
    const root = await tempDir('ui-auth', t);
    const line = execFileSync(peerPath('htpasswd'), ['-Bbn', 'operator', 's3cret-pass'], { encoding: 'utf8' }).trim();
    await writeFile(join(root, 'htpasswd'), `${line}\n`);
    const store = await buildUiStore(join(root, 'store'));
    const server = await startServer({ addr: '127.0.0.1:0', storage: store.dir, fsync: false, htpasswd: join(root, 'htpasswd'), imports: store.imports });
    t.after(() => server.close());

    // Without credentials Chromium gets the 401 and its Basic challenge; headless, it has nobody to ask and gives up.
    const anonymous = await launchChromium(t);
    const page401 = await anonymous.context.newPage();
    const answered: Response[] = [];
    page401.on('response', (r) => answered.push(r));
    await assert.rejects(page401.goto(`${server.url}/repo/team/app`), /ERR_INVALID_AUTH_CREDENTIALS/);
    const refused = answered[0];
    assert.ok(refused, 'the browser saw the answer');
    assert.equal(refused.status(), 401);
    assert.match(refused.headers()['www-authenticate'] ?? '', /^Basic realm=/);
    const body = await fetch(`${server.url}/repo/team/app`);
    assert.equal(body.status, 401);
    const text = await body.text();
    assert.match(text, /Sign-in required/);
    assert.doesNotMatch(text, /2\.0\.1/, 'no content without credentials');
    assert.equal((await fetch(`${server.url}/v2/team/app/tags/list`)).status, 401, 'nor from the API');

    // With wrong credentials Chromium shows the 401 page: what went wrong, and nothing of the store.
    const wrong = await launchChromium(t, { httpCredentials: { username: 'operator', password: 'wrong' } });
    const wrongPage = await wrong.context.newPage();
    assert.equal((await wrongPage.goto(`${server.url}/repo/team/app`))?.status(), 401);
    assert.equal(await wrongPage.locator('h1').innerText(), 'Sign-in required');
    assert.equal(await wrongPage.locator('table').count(), 0);

    const operator = await launchChromium(t, { httpCredentials: { username: 'operator', password: 's3cret-pass' } });
    const page = await operator.context.newPage();
    const ok = await page.goto(`${server.url}/repo/team/app`);
    assert.equal(ok?.status(), 200);
    assert.equal((await tagRows(page)).length, 4);
    // The stylesheet and script came through the same credentials.
    const assets = operator.requests.filter((r) => r.url().includes('/-/assets/'));
    assert.ok(assets.length >= 2);
    for (const r of assets) assert.equal((await r.response())?.status(), 200, r.url());
    assertLocal(operator, server);
  });
});
