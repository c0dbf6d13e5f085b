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
 * The source may also be an OCI layout (`oci:DIR`, as `ferry sync --dest oci`
 * writes it, names `REPOSITORY:TAG`): manifests and blobs are then read from
 * its files, unverified, and LIST may be `-` for every image in its index.
 *
 * Plain JavaScript, so Node runs it without type stripping (ferry runs its
 * compiled dist/ the same way).
 *
 * Usage: node floor-sync.mjs LIST.json|- SRC_HOST|oci:DIR DEST_HOST/PREFIX
 * LIST.json: [["repository", "tag"], …]. Prints the request count on stdout.
 */
import { Buffer } from 'node:buffer';
import console from 'node:console';
import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';
import { URL } from 'node:url';

// undici's connection pool alone, as ferry loads it (the whole index would add fetch, WebSocket, caches: ~70 ms).
const require = createRequire(import.meta.url);
Object.assign(require('undici/lib/dispatcher/dispatcher.js').prototype, require('undici/lib/api/index.js'));
const Agent = require('undici/lib/dispatcher/agent.js');

const CONNECTIONS = 16;
const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

const [listFile, srcHost, destArg] = process.argv.slice(2);
if (listFile === undefined || srcHost === undefined || destArg === undefined) {
  console.error('usage: floor-sync.mjs LIST.json|- SRC_HOST|oci:DIR DEST_HOST/PREFIX');
  process.exit(2);
}
const layout = srcHost.startsWith('oci:') ? srcHost.slice(4) : undefined;
/** @type {Map<string, { digest: string, mediaType: string }>} a layout's images by `REPOSITORY:TAG` */
const layoutIndex = new Map();
if (layout !== undefined) {
  /** @type {{ manifests: Array<{ digest: string, mediaType: string, annotations?: Record<string, string> }> }} */
  const index = JSON.parse(readFileSync(`${layout}/index.json`, 'utf8'));
  for (const m of index.manifests) {
    const name = m.annotations?.['org.opencontainers.image.ref.name'];
    if (name !== undefined) layoutIndex.set(name, m);
  }
}
/** @type {Array<[string, string]>} */
const images =
  listFile === '-' ? [...layoutIndex.keys()].map((name) => /** @type {[string, string]} */ ([name.slice(0, name.lastIndexOf(':')), name.slice(name.lastIndexOf(':') + 1)])) : JSON.parse(readFileSync(listFile, 'utf8'));
const slash = destArg.indexOf('/');
const destHost = slash < 0 ? destArg : destArg.slice(0, slash);
const prefix = slash < 0 ? '' : `${destArg.slice(slash + 1)}/`;
const src = `http://${srcHost}`;
const dst = `http://${destHost}`;
/** @param {string} digest */
const layoutBlob = (digest) => `${layout}/blobs/${digest.replace(':', '/')}`;
const agent = new Agent({ connections: CONNECTIONS });
let requests = 0;

/**
 * @param {string} origin
 * @param {'GET' | 'HEAD' | 'POST' | 'PUT'} method
 * @param {string} path
 * @param {Record<string, string>} [headers]
 * @param {unknown} [body]
 */
async function call(origin, method, path, headers = {}, body) {
  requests++;
  const res = await agent.request({ origin, method, path, headers, ...(body !== undefined ? { body } : {}) });
  return res;
}

/**
 * @param {{ statusCode: number, body: { dump(): Promise<void>, text(): Promise<string> } }} res
 * @param {number[]} ok
 * @param {string} what
 */
async function expect(res, ok, what) {
  if (!ok.includes(res.statusCode)) throw new Error(`${what}: HTTP ${res.statusCode} ${await res.body.text()}`);
  await res.body.dump();
}

/** Blobs put in the destination registry by this run, by digest: the repository that holds it, once there. */
/** @type {Map<string, Promise<string>>} */
const placed = new Map();
/** Each blob is put in each repository once, even when two images of it need it at the same time. */
/** @type {Map<string, Promise<void>>} */
const inRepository = new Map();

/** @param {string} repo @param {string} srcRepo @param {string} digest @param {number} size @returns {Promise<void>} */
function copyBlob(repo, srcRepo, digest, size) {
  const key = `${repo}@${digest}`;
  let done = inRepository.get(key);
  if (done === undefined) {
    done = placeBlob(repo, srcRepo, digest, size);
    inRepository.set(key, done);
  }
  return done;
}

/** @param {string} repo @param {string} srcRepo @param {string} digest @param {number} size */
async function placeBlob(repo, srcRepo, digest, size) {
  const holder = placed.get(digest);
  if (holder !== undefined) {
    const from = await holder;
    const res = await call(dst, 'POST', `/v2/${repo}/blobs/uploads/?mount=${digest}&from=${from}`, { 'content-length': '0' });
    await res.body.dump();
    if (res.statusCode === 201) return;
  }
  /** @type {(repository: string) => void} */
  let done = () => undefined;
  if (holder === undefined) placed.set(digest, new Promise((r) => (done = r)));
  const head = await call(dst, 'HEAD', `/v2/${repo}/blobs/${digest}`);
  await head.body.dump();
  if (head.statusCode !== 200) {
    const body = layout !== undefined ? createReadStream(layoutBlob(digest), { highWaterMark: 256 * 1024 }) : await sourceBlob(srcRepo, digest);
    const post = await call(dst, 'POST', `/v2/${repo}/blobs/uploads/`, { 'content-length': '0' });
    await expect(post, [202], `POST upload ${repo}`);
    const location = new URL(String(post.headers['location']), dst);
    location.searchParams.set('digest', digest);
    const put = await call(dst, 'PUT', `${location.pathname}${location.search}`, { 'content-type': 'application/octet-stream', 'content-length': String(size) }, body);
    await expect(put, [201], `PUT blob ${digest}`);
  }
  if (holder === undefined) done(repo);
}

/** @param {string} srcRepo @param {string} digest */
async function sourceBlob(srcRepo, digest) {
  const got = await call(src, 'GET', `/v2/${srcRepo}/blobs/${digest}`);
  if (got.statusCode !== 200) throw new Error(`GET blob ${digest}: HTTP ${got.statusCode}`);
  return got.body;
}

/** The digest the source names NAME:TAG by (a HEAD, or the layout's index entry). @param {string} name @param {string} tag */
async function sourceDigest(name, tag) {
  if (layout !== undefined) return layoutIndex.get(`${name}:${tag}`)?.digest;
  const head = await call(src, 'HEAD', `/v2/${name}/manifests/${tag}`, { accept: ACCEPT });
  await head.body.dump();
  return String(head.headers['docker-content-digest']);
}

/** @param {string} name @param {string} tag @returns {Promise<{ type: string, bytes: Buffer }>} */
async function sourceManifest(name, tag) {
  if (layout !== undefined) {
    const entry = layoutIndex.get(`${name}:${tag}`);
    if (entry === undefined) throw new Error(`${name}:${tag} is not in ${layout}`);
    return { type: entry.mediaType, bytes: readFileSync(layoutBlob(entry.digest)) };
  }
  const got = await call(src, 'GET', `/v2/${name}/manifests/${tag}`, { accept: ACCEPT });
  if (got.statusCode !== 200) throw new Error(`GET ${name}:${tag}: HTTP ${got.statusCode}`);
  return { type: String(got.headers['content-type']), bytes: Buffer.from(await got.body.arrayBuffer()) };
}

/** @param {string} name @param {string} tag */
async function syncImage(name, tag) {
  const repo = `${prefix}${name.split('/').at(-1)}`;
  const there = await call(dst, 'HEAD', `/v2/${repo}/manifests/${tag}`, { accept: ACCEPT });
  await there.body.dump();
  const held = there.statusCode === 200 ? String(there.headers['docker-content-digest']) : undefined;
  if (held !== undefined && (await sourceDigest(name, tag)) === held) return;
  const { type, bytes } = await sourceManifest(name, tag);
  /** @type {{ config: { digest: string, size: number }, layers: Array<{ digest: string, size: number }> }} */
  const manifest = JSON.parse(bytes.toString('utf8'));
  await Promise.all([manifest.config, ...manifest.layers].map((b) => copyBlob(repo, name, b.digest, b.size)));
  const put = await call(dst, 'PUT', `/v2/${repo}/manifests/${tag}`, { 'content-type': type }, bytes);
  await expect(put, [201], `PUT ${repo}:${tag}`);
}

let next = 0;
await Promise.all(
  Array.from({ length: CONNECTIONS }, async () => {
    while (next < images.length) {
      const [name, tag] = images[next++];
      await syncImage(name, tag);
    }
  }),
);
await agent.close();
console.log(`${requests} requests`);
