import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ANNOTATION_REF_NAME } from '../src/oci/descriptor.ts';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { startServeProcess, type ServeProcess } from './helpers/ferry-serve.ts';
import { writeOciLayout } from './helpers/oci-layout.ts';
import { startProxy, type RunningProxy } from './helpers/proxy.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { file, syncWithReport } from './fixtures/sync.ts';

/**
 * Link pagination as a client: ferry asks for 1,000 names a page, so the
 * store behind `ferry serve` holds more than two pages of tags and more than
 * a page of repositories, and the counting proxy in front shows the pages
 * requested. (Debian's distribution 2.8 pages neither list this way.) The
 * store is one image under thousands of names, written without ferry.
 */

/** ferry's page size for tags and `_catalog`: more than two pages of tags, more than one of repositories. */
const PAGE = 1000;
const TAGS = Array.from({ length: 2 * PAGE + 345 }, (_, i) => `t${String(i).padStart(5, '0')}`);
/** Fillers sort before `wanted/`, so the repository a rule asks for is on the second page. */
const FILLERS = Array.from({ length: PAGE + 3 }, (_, i) => `filler/r${String(i).padStart(5, '0')}`);

describe('Link pagination of tag lists and _catalog', () => {
  let work: string;
  let served: ServeProcess;
  let proxy: RunningProxy;

  before(async () => {
    work = await tempDir('ferry-pagination');
    const storage = join(work, 'store');
    const [top] = await writeOciLayout(syntheticStore([{ name: 'one/image', tag: 'v1', layers: [2048] }]).repository('one/image'), storage, ['v1']);
    const names = [...TAGS.map((t) => `team/app:${t}`), ...FILLERS.map((r) => `${r}:v1`), 'wanted/app:v1'];
    const manifests = names.map((name) => ({ mediaType: top!.mediaType, digest: top!.digest, size: top!.size, annotations: { [ANNOTATION_REF_NAME]: name } }));
    await writeFile(join(storage, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
    // Stopped by this suite's after hook, below, not by the helper's per-test one.
    served = await startServeProcess({ after: () => undefined }, ['--storage', storage, '--read-only']);
    proxy = await startProxy({ upstream: served.url });
  });

  after(async () => {
    await proxy?.stop();
    await served?.stop();
    if (work) await removeTempDir(work);
  });

  test('list-tags follows Link through every page and returns every tag once', async () => {
    proxy.reset();
    const run = await runFerry(['list-tags', '--tls-verify=false', `docker://${proxy.host}/team/app`]);
    assert.equal(run.code, 0, explain(run));
    const listed = JSON.parse(run.stdout) as { Repository: string; Tags: string[] };
    assert.equal(listed.Tags.length, TAGS.length);
    assert.deepEqual([...listed.Tags].sort(), TAGS);
    const pages = proxy.stats.log.filter((e) => e.method === 'GET' && e.kind === 'tags');
    assert.equal(pages.length, 3, pages.map((p) => p.path).join('\n'));
    assert.ok(pages.slice(1).every((p) => /[?&]last=/.test(p.path)), 'later pages continue after the last tag seen');
  });

  test('a registry-wide rule reads every page of _catalog, and a tag rule every page of tags', async () => {
    proxy.reset();
    const config = await file(work, 'wide.yaml', `registries:
  "${proxy.host}": {tls-verify: false}
sync:
  - from: {registry: "${proxy.host}", repositories: ["wanted/*"]}
    to: oci:${join(work, 'out')}
  - from: ${proxy.host}/team/app
    tags: {include: ["t0234*", "t02344"]}
    to: oci:${join(work, 'out')}
`);
    const { run, report } = await syncWithReport(work, 'wide', ['--config', config, '--dry-run']);
    assert.equal(run.code, 0, explain(run));
    const expected = ['team/app:t02340', 'team/app:t02341', 'team/app:t02342', 'team/app:t02343', 'team/app:t02344', 'wanted/app:v1'];
    assert.deepEqual(report!.images.map((i) => i.source).sort(), expected.map((name) => `docker://${proxy.host}/${name}`));
    const catalogPages = proxy.stats.log.filter((e) => e.kind === 'catalog');
    assert.equal(catalogPages.length, 2, catalogPages.map((p) => p.path).join('\n'));
  });
});
