import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { copyImage } from '../src/copy/copy-image.ts';
import type { SyntheticImageSpec, SyntheticStore } from '../src/testing/synthetic.ts';
import { openImage } from '../src/transports/open.ts';
import { explain, runFerry, type FerryRun, type FerryRunOptions } from './helpers/ferry-cli.ts';
import { skopeoInspectDigest } from './helpers/skopeo.ts';

/**
 * Shared pieces of the `ferry sync` integration tests (test/sync-*.test.ts):
 * seeding a registry from synthetic images (with ferry's library, which is
 * fast; skopeo checks every result independently), reading a registry's
 * catalog and tags over plain HTTP, and running `ferry sync` with a report.
 */

/** Plain-HTTP test registries need this on every ferry run that takes skopeo flags. */
export const PLAIN = ['--src-tls-verify=false', '--dest-tls-verify=false'];

/** Tiny own layers keep a dozen images well under a few MiB. */
export const SMALL = 4 * 1024;

/** A spec with one small own layer on a shared base. */
export function image(name: string, tag: string, extra: Partial<SyntheticImageSpec> = {}): SyntheticImageSpec {
  return { name, tag, layers: [SMALL], ...extra };
}

/**
 * Pushes `name:tag` of a synthetic store to `host` (every platform, digests
 * preserved) — or under `as` when given — with credentials when the registry
 * wants them. Sequential: the registry and the machine are shared.
 */
export async function seed(
  store: SyntheticStore,
  host: string,
  images: Array<[string, string] | [string, string, string]>,
  credentials?: { username: string; password: string },
): Promise<void> {
  for (const [name, tag, as] of images) {
    const destination = await openImage(`docker://${host}/${as ?? name}:${tag}`, { role: 'destination', access: { tlsVerify: false, ...credentials } });
    try {
      await copyImage({
        source: { repository: store.repository(name), reference: tag, display: `synthetic:${name}:${tag}` },
        destination,
        instances: { mode: 'all' },
      });
    } finally {
      await destination.repository.close();
    }
  }
}

/** Every image of a store, as `seed` takes them. */
export async function seedAll(store: SyntheticStore, host: string, specs: readonly SyntheticImageSpec[], credentials?: { username: string; password: string }): Promise<void> {
  await seed(store, host, specs.map((s) => [s.name, s.tag] as [string, string]), credentials);
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await request(url, { method: 'GET' });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** Repositories of a plain-HTTP registry (`/v2/_catalog`), sorted. */
export async function catalog(registryUrl: string): Promise<string[]> {
  const { status, body } = await getJson(`${registryUrl}/v2/_catalog?n=1000`);
  assert.equal(status, 200, `catalog of ${registryUrl}`);
  return [...((body as { repositories?: string[] }).repositories ?? [])].sort();
}

/** Tags of one repository, sorted; [] when the repository does not exist. */
export async function tags(registryUrl: string, repository: string): Promise<string[]> {
  const { status, body } = await getJson(`${registryUrl}/v2/${repository}/tags/list`);
  if (status === 404) return [];
  assert.equal(status, 200, `tags of ${repository}`);
  return [...((body as { tags?: string[] | null }).tags ?? [])].sort();
}

/** `repo:tag` for every tag of every repository: what a registry holds, in one sorted list. */
export async function contents(registryUrl: string): Promise<string[]> {
  const out: string[] = [];
  for (const repo of await catalog(registryUrl)) for (const tag of await tags(registryUrl, repo)) out.push(`${repo}:${tag}`);
  return out.sort();
}

/** Asserts skopeo sees `expected` (name → digest) under `docker://host/`. */
export async function assertDigests(host: string, expected: Record<string, string>): Promise<void> {
  for (const [name, digest] of Object.entries(expected)) {
    assert.equal(await skopeoInspectDigest(`docker://${host}/${name}`, { tlsVerify: false }), digest, `skopeo digest of ${host}/${name}`);
  }
}

/** The `--report` file's shape. */
export interface Report {
  version: number;
  dryRun?: boolean;
  started: string;
  finished: string;
  images: Array<{ source: string; destination: string; digest?: string; status: 'copied' | 'skipped' | 'failed' | 'planned'; reason?: string; bytes: number }>;
  totals: { images: number; copied: number; skipped: number; failed: number; planned: number; bytes: number };
}

/** Runs `ferry sync ARGS… --report DIR/NAME.json` and returns the run and the parsed report (undefined when none was written). */
export async function syncWithReport(dir: string, name: string, args: readonly string[], options: FerryRunOptions = {}): Promise<{ run: FerryRun; report: Report | undefined; reportText: string }> {
  const path = join(dir, `${name}.json`);
  const run = await runFerry(['sync', ...args, '--report', path], options);
  const reportText = await readFile(path, 'utf8').catch(() => '');
  return { run, report: reportText === '' ? undefined : (JSON.parse(reportText) as Report), reportText };
}

/** Like {@link syncWithReport} but asserts exit 0. */
export async function syncOk(dir: string, name: string, args: readonly string[], options: FerryRunOptions = {}): Promise<{ run: FerryRun; report: Report }> {
  const r = await syncWithReport(dir, name, args, options);
  assert.equal(r.run.code, 0, explain(r.run));
  assert.ok(r.report, `no report written\n${explain(r.run)}`);
  return { run: r.run, report: r.report };
}

/** `destination → status` of a report, sorted, for deepEqual. */
export function outcomes(report: Report): string[] {
  return report.images.map((i) => `${i.destination} ${i.status}`).sort();
}

/** Writes a text file into `dir` and returns its path. */
export async function file(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}
