// Benchmark: the web UI of `ferry serve` on a large store. Builds, with the
// synthetic image generator, an OCI layout of REPOS repositories × TAGS tags
// (every tenth tag a two-platform index, the rest single images sharing a
// base layer), serves it in-process and measures the server's own time per
// page (the access log's durationMs) for:
//   - the home page, first request after start (sizes not yet counted: it
//     answers with what it has) and until every size is counted,
//   - the home page, warm (same store generation),
//   - the home page right after a push (a new generation; manifests cached),
//   - a repository page and an image page, warm.
// Issue 17's target: the home page of 1,000 repositories and 10,000 tags in
// under 300 ms on the server. Prints the figures; never passes or fails on them.
//   npm run bench -- ui [--runs N] [--quick]
import { join } from 'node:path';
import { ANNOTATION_REF_NAME, type Descriptor } from '../src/oci/descriptor.ts';
import { startServer } from '../src/server/server.ts';
import type { ServerLogEvent } from '../src/server/access-log.ts';
import { layerStream, syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { openLayoutStore } from '../src/transports/layout/layout-store.ts';
import { mapLimited } from '../src/util/pool.ts';
import { removeTempDir, tempDir } from '../test/helpers/tmp.ts';
import { benchArgs } from './lib/args.ts';
import { max, median } from './lib/report.ts';

const args = benchArgs(20);
const REPOS = args.quick ? 100 : 1_000;
const TAGS = 10;
const TARGET_MS = 300;
const BASE = { size: 64 * 1024, seed: 'ui-bench-base' };
/** Files written at once while the store is built. */
const WRITE_CONCURRENCY = 16;

function specs(): SyntheticImageSpec[] {
  const out: SyntheticImageSpec[] = [];
  for (let r = 0; r < REPOS; r++) {
    const name = `bench/team${String(r % 40).padStart(2, '0')}/app${String(r).padStart(4, '0')}`;
    for (let t = 0; t < TAGS; t++) {
      out.push({
        name, tag: `1.${t}.0`, layers: [2048], sharedLayers: [BASE],
        created: new Date(Date.UTC(2024, 0, 1 + t)).toISOString(),
        ...(t === 0 ? { platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }] } : {}),
      });
    }
  }
  return out;
}

/** Writes every image's blobs and manifests, then index.json once (a push per tag would rewrite it 10,000 times). */
async function buildStore(dir: string): Promise<number> {
  const all = specs();
  const synthetic = syntheticStore(all);
  const store = await openLayoutStore(dir, { create: true, fsync: false });
  const entries: Descriptor[] = [];
  await mapLimited(all, WRITE_CONCURRENCY, async (spec) => {
    const built = await synthetic.image(spec.name, spec.tag);
    for (const [digest, blob] of built.blobs) {
      if (await store.hasBlob(digest)) continue;
      if (blob.kind === 'config') await store.writeBlobBytes(blob.bytes, digest);
      else await store.writeBlob(layerStream(blob.layer), { digest, size: blob.layer.size });
    }
    for (const m of built.manifests) await store.writeBlobBytes(m.bytes, m.digest);
    entries.push({ mediaType: built.top.mediaType, digest: built.top.digest, size: built.top.bytes.byteLength, annotations: { [ANNOTATION_REF_NAME]: `${spec.name}:${spec.tag}` } });
  });
  await store.updateIndex(() => entries);
  return all.length;
}

async function main(): Promise<void> {
  const root = await tempDir('ferry-bench-ui');
  try {
    const started = performance.now();
    const tags = await buildStore(join(root, 'store'));
    console.log(`store: ${REPOS} repositories, ${tags} tags, built in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const durations = new Map<string, number>();
    const server = await startServer({
      addr: '127.0.0.1:0', storage: join(root, 'store'), fsync: false,
      onLog: (_line, event: ServerLogEvent) => {
        if (event.type === 'request') durations.set(`${event.method} ${event.path}`, event.durationMs);
      },
    });
    // The server's own time for one page (from its access log), and whether sizes were still being counted.
    let n = 0;
    const get = async (path: string): Promise<{ ms: number; cpu: number; pending: boolean }> => {
      // A query parameter the pages ignore makes each request's log line its own.
      const target = `${path}${path.includes('?') ? '&' : '?'}bench=${++n}`;
      const before = process.cpuUsage();
      const res = await fetch(`${server.url}${target}`);
      const text = await res.text();
      const used = process.cpuUsage(before);
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
      while (!durations.has(`GET ${target}`)) await new Promise((resolve) => setImmediate(resolve));
      return { ms: durations.get(`GET ${target}`)!, cpu: Math.round((used.user + used.system) / 1000), pending: text.includes('data-pending') };
    };
    /** `median / max ms` of wall times, and the median CPU time. */
    const figures = (runs: Array<{ ms: number; cpu: number }>): string => `${median(runs.map((r) => r.ms))} / ${max(runs.map((r) => r.ms))} ms | ${median(runs.map((r) => r.cpu))} ms`;
    try {
      const rows: Array<[string, string]> = [];
      const t0 = performance.now();
      const first = await get('/');
      rows.push([`home, first request after start${first.pending ? ' (answered with names and tag counts while sizes are counted)' : ''}`, `${first.ms} ms | ${first.cpu} ms`]);
      let polls = 0;
      const cpu0 = process.cpuUsage();
      for (let pending = first.pending; pending; polls++) pending = (await get('/')).pending;
      const cpu1 = process.cpuUsage(cpu0);
      rows.push([`home, until every size is counted (cold store, ${polls} reloads)`, `${Math.round(performance.now() - t0)} ms | ${Math.round((cpu1.user + cpu1.system) / 1000)} ms`]);

      const warm: Array<{ ms: number; cpu: number }> = [];
      for (let i = 0; i < args.runs; i++) warm.push(await get('/'));
      rows.push(['home, warm', figures(warm)]);

      const afterPush: Array<{ ms: number; cpu: number }> = [];
      const manifest = await fetch(`${server.url}/v2/bench/team00/app0000/manifests/1.1.0`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
      const bytes = Buffer.from(await manifest.arrayBuffer());
      for (let i = 0; i < args.runs; i++) {
        const put = await fetch(`${server.url}/v2/bench/team00/app0000/manifests/pushed-${i}`, { method: 'PUT', headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }, body: bytes });
        if (put.status !== 201) throw new Error(`PUT: ${put.status}`);
        let page = await get('/');
        while (page.pending) page = await get('/');
        afterPush.push(page);
      }
      rows.push(['home, first complete answer after a push', figures(afterPush)]);

      const repo: Array<{ ms: number; cpu: number }> = [];
      const image: Array<{ ms: number; cpu: number }> = [];
      const digest = manifest.headers.get('docker-content-digest');
      for (let i = 0; i < args.runs; i++) {
        repo.push(await get('/repo/bench/team07/app0007'));
        image.push(await get(`/image/bench/team00/app0000@${digest}`));
      }
      rows.push(['repository page (10 tags), warm', figures(repo)]);
      rows.push(['image page, warm', figures(image)]);

      console.log(`\n| measure | server time (median / max) | CPU (median) |\n|---|---:|---:|`);
      for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
      const typical = Math.max(median(warm.map((r) => r.ms)), median(afterPush.map((r) => r.ms)));
      console.log(`\nTarget (issue 17): the home page of ${REPOS} repositories and ${tags} tags under ${TARGET_MS} ms on the server: ${typical < TARGET_MS ? 'met' : 'NOT met'} (median warm and after a push; ${typical} ms at most). CPU is the time the process spent; on a shared machine wall time can be many times that.`);
    } finally {
      await server.close();
    }
  } finally {
    await removeTempDir(root);
  }
}

await main();
