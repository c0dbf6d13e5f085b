/**
 * The floor of the sync benchmark: the fewest HTTP requests a correct
 * registry → registry sync of a list of images needs, made with a bare undici
 * Agent (16 connections per registry) and nothing else, no verification, no
 * policy, no report. Per image: the source digest (HEAD, or GET when the
 * destination lacks the image: the copy needs the manifest anyway) and a HEAD
 * of the destination manifest; per blob the destination repository lacks: a
 * mount when this run already put it elsewhere in the destination registry,
 * else a HEAD, then GET → POST → PUT streamed; then the manifest PUT.
 * ferry / floor is ferry's overhead over the necessary work.
 *
 * Usage: node floor-sync.ts LIST.json SRC_HOST DEST_HOST/PREFIX
 * LIST.json: [["repository", "tag"], …]. Prints the request count on stdout.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

// undici's connection pool alone, as ferry loads it (the whole index would add fetch, WebSocket, caches: ~70 ms).
const require = createRequire(import.meta.url);
Object.assign((require('undici/lib/dispatcher/dispatcher.js') as { prototype: object }).prototype, require('undici/lib/api/index.js') as object);
const Agent = require('undici/lib/dispatcher/agent.js') as typeof Undici.Agent;

const CONNECTIONS = 16;
const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

const [listFile, srcHost, destArg] = process.argv.slice(2);
if (listFile === undefined || srcHost === undefined || destArg === undefined) {
  console.error('usage: floor-sync.ts LIST.json SRC_HOST DEST_HOST/PREFIX');
  process.exit(2);
}
const images = JSON.parse(readFileSync(listFile, 'utf8')) as Array<[string, string]>;
const slash = destArg.indexOf('/');
const destHost = slash < 0 ? destArg : destArg.slice(0, slash);
const prefix = slash < 0 ? '' : `${destArg.slice(slash + 1)}/`;
const src = `http://${srcHost}`;
const dst = `http://${destHost}`;
const agent = new Agent({ connections: CONNECTIONS });
let requests = 0;

async function call(origin: string, method: 'GET' | 'HEAD' | 'POST' | 'PUT', path: string, headers: Record<string, string> = {}, body?: unknown) {
  requests++;
  const res = await agent.request({ origin, method, path, headers, ...(body !== undefined ? { body: body as Buffer } : {}) });
  return res;
}

async function expect(res: { statusCode: number; body: { dump(): Promise<void> } }, ok: number[], what: string): Promise<void> {
  if (!ok.includes(res.statusCode)) throw new Error(`${what}: HTTP ${res.statusCode} ${await (res.body as unknown as { text(): Promise<string> }).text()}`);
  await res.body.dump();
}

/** Blobs put in the destination registry by this run, by digest: the repository that holds it, once there. */
const placed = new Map<string, Promise<string>>();
/** Each blob is put in each repository once, even when two images of it need it at the same time. */
const inRepository = new Map<string, Promise<void>>();

function copyBlob(repo: string, srcRepo: string, digest: string, size: number): Promise<void> {
  const key = `${repo}@${digest}`;
  let done = inRepository.get(key);
  if (done === undefined) {
    done = placeBlob(repo, srcRepo, digest, size);
    inRepository.set(key, done);
  }
  return done;
}

async function placeBlob(repo: string, srcRepo: string, digest: string, size: number): Promise<void> {
  const holder = placed.get(digest);
  if (holder !== undefined) {
    const from = await holder;
    const res = await call(dst, 'POST', `/v2/${repo}/blobs/uploads/?mount=${digest}&from=${from}`, { 'content-length': '0' });
    await res.body.dump();
    if (res.statusCode === 201) return;
  }
  let done!: (r: string) => void;
  if (holder === undefined) placed.set(digest, new Promise((r) => (done = r)));
  const head = await call(dst, 'HEAD', `/v2/${repo}/blobs/${digest}`);
  await head.body.dump();
  if (head.statusCode !== 200) {
    const got = await call(src, 'GET', `/v2/${srcRepo}/blobs/${digest}`);
    if (got.statusCode !== 200) throw new Error(`GET blob ${digest}: HTTP ${got.statusCode}`);
    const post = await call(dst, 'POST', `/v2/${repo}/blobs/uploads/`, { 'content-length': '0' });
    await expect(post, [202], `POST upload ${repo}`);
    const location = new URL(String(post.headers['location']), dst);
    location.searchParams.set('digest', digest);
    const put = await call(dst, 'PUT', `${location.pathname}${location.search}`, { 'content-type': 'application/octet-stream', 'content-length': String(size) }, got.body);
    await expect(put, [201], `PUT blob ${digest}`);
  }
  if (holder === undefined) done(repo);
}

async function syncImage(name: string, tag: string): Promise<void> {
  const repo = `${prefix}${name.split('/').at(-1)}`;
  const there = await call(dst, 'HEAD', `/v2/${repo}/manifests/${tag}`, { accept: ACCEPT });
  await there.body.dump();
  const held = there.statusCode === 200 ? String(there.headers['docker-content-digest']) : undefined;
  if (held !== undefined) {
    const head = await call(src, 'HEAD', `/v2/${name}/manifests/${tag}`, { accept: ACCEPT });
    await head.body.dump();
    if (String(head.headers['docker-content-digest']) === held) return;
  }
  const got = await call(src, 'GET', `/v2/${name}/manifests/${tag}`, { accept: ACCEPT });
  if (got.statusCode !== 200) throw new Error(`GET ${name}:${tag}: HTTP ${got.statusCode}`);
  const type = String(got.headers['content-type']);
  const bytes = Buffer.from(await got.body.arrayBuffer());
  const manifest = JSON.parse(bytes.toString('utf8')) as { config: { digest: string; size: number }; layers: Array<{ digest: string; size: number }> };
  await Promise.all([manifest.config, ...manifest.layers].map((b) => copyBlob(repo, name, b.digest, b.size)));
  const put = await call(dst, 'PUT', `/v2/${repo}/manifests/${tag}`, { 'content-type': type }, bytes);
  await expect(put, [201], `PUT ${repo}:${tag}`);
}

let next = 0;
await Promise.all(
  Array.from({ length: CONNECTIONS }, async () => {
    while (next < images.length) {
      const [name, tag] = images[next++]!;
      await syncImage(name, tag);
    }
  }),
);
await agent.close();
console.log(`${requests} requests`);
