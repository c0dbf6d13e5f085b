import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAX_MANIFEST_BYTES } from '../src/oci/manifest.ts';
import { syntheticStore, type BuiltImage } from '../src/testing/synthetic.ts';
import { explain, runFerry, type FerryRun } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { skopeo, skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * What a user of `bin/ferry` sees: exit codes (0 ok, 1 failure, 2 not found
 * or bad usage), one- or two-line errors naming the rule broken and never a
 * stack trace, `manifest-digest` and `--digestfile` agreeing with skopeo,
 * `--json` records and `-q` silence, and refusal of manifests a registry
 * should never have served (over 4 MiB, unknown media type).
 */

const skip = requirePeer('docker-registry', 'skopeo');

const store = syntheticStore([
  { name: 'cli/app', tag: 'v1', layers: [150_000, 100 * 1024] },
  { name: 'cli/multi', tag: 'v1', layers: [100 * 1024], mediaTypes: 'docker', platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }] },
]);

/** The error is one "ferry: …" line and at most a hint after it (progress lines may come before). */
function assertCleanError(run: FerryRun): void {
  assert.doesNotMatch(run.stderr, /^\s+at /m, `no stack trace:\n${run.stderr}`);
  assert.doesNotMatch(run.stderr, /internal error/i, `not an internal error:\n${run.stderr}`);
  const start = run.stderr.search(/^ferry: /m);
  assert.ok(start >= 0, `an error line starting with "ferry: ":\n${run.stderr}`);
  assert.ok(run.stderr.slice(start).trim().split('\n').length <= 2, `one or two lines:\n${run.stderr}`);
}

describe('the ferry CLI', { skip }, () => {
  let registry: RunningRegistry;
  let work: string;
  let app: BuiltImage;
  const plain = ['--src-tls-verify=false', '--dest-tls-verify=false'];
  const ref = (repo: string, tag = 'v1'): string => `docker://${registry.host}/${repo}:${tag}`;

  before(async () => {
    [registry, work] = await Promise.all([startRegistry(), tempDir('ferry-cli')]);
    await seedRegistry(registry.host, store.repository('cli/app'), ['v1']);
    app = await store.image('cli/app', 'v1');
  });

  after(async () => {
    await registry?.stop();
    if (work) await removeTempDir(work);
  });

  test('a missing image or repository exits 2', async () => {
    for (const [command, args] of [
      ['copy', [...plain, ref('cli/app', 'no-such-tag'), `oci:${join(work, 'missing')}:x`]],
      ['copy', [...plain, ref('no/such-repo'), ref('cli/copy-of-nothing')]],
      ['inspect', ['--tls-verify=false', ref('cli/app', 'no-such-tag')]],
    ] as const) {
      const run = await runFerry([command, ...args]);
      assert.equal(run.code, 2, explain(run));
      assert.match(run.stderr, /unknown|not found|does not exist/i);
      assertCleanError(run);
    }
  });

  test('malformed references exit 2 and name the rule they break', async () => {
    const layout = `oci:${join(work, 'never')}:x`;
    const good = ref('cli/app');
    // [command line, the bad reference in it, the rule the message must name]
    const cases: Array<[string[], string, RegExp]> = [
      [['copy', 'docker://UPPER/case', layout], 'UPPER/case', /lowercase/],
      [['copy', 'nope:foo', layout], 'nope:foo', /unknown transport "nope"/],
      [['copy', 'docker:foo', layout], 'docker:foo', /"\/\/"/],
      [['copy', 'docker://a/b@sha256:123', layout], 'sha256:123', /64 .*hex/],
      [['copy', '--src-tls-verify=false', good, 'docker:foo'], 'docker:foo', /"\/\/"/],
      [['copy', '--src-tls-verify=false', good, 'docker://UPPER/case'], 'UPPER/case', /lowercase/],
      [['inspect', 'nope:foo'], 'nope:foo', /unknown transport "nope"/],
    ];
    for (const [args, bad, rule] of cases) {
      const run = await runFerry(args);
      assert.equal(run.code, 2, explain(run));
      assert.match(run.stderr, rule, `${args.join(' ')}:\n${run.stderr}`);
      assert.ok(run.stderr.includes(bad), `the message quotes the input:\n${run.stderr}`);
      assertCleanError(run);
    }
    const usage = await runFerry(['copy', good]);
    assert.equal(usage.code, 2, 'a missing argument is a usage error');
  });

  test('manifest-digest agrees with skopeo manifest-digest', async () => {
    const multi = await store.image('cli/multi', 'v1');
    const files: Array<[string, Uint8Array]> = [
      ['oci-manifest.json', app.top.bytes],
      ['docker-list.json', multi.top.bytes],
      ['docker-manifest.json', multi.manifests[1]!.bytes],
    ];
    for (const [name, bytes] of files) {
      const path = join(work, name);
      await writeFile(path, bytes);
      const run = await runFerry(['manifest-digest', path]);
      assert.equal(run.code, 0, explain(run));
      const theirs = (await skopeo(['manifest-digest', path])).stdout.toString('utf8').trim();
      assert.equal(run.stdout.trim(), theirs, name);
    }
    const notJson = join(work, 'not-a-manifest.json');
    await writeFile(notJson, 'hello');
    const bad = await runFerry(['manifest-digest', notJson]);
    assert.equal(bad.code, 1, explain(bad));
    assertCleanError(bad);
  });

  test('--digestfile receives the digest of the written manifest', async () => {
    const digestFile = join(work, 'digest.txt');
    const run = await runFerry(['copy', ...plain, '--digestfile', digestFile, ref('cli/app'), ref('cli/digestfile')]);
    assert.equal(run.code, 0, explain(run));
    assert.equal((await readFile(digestFile, 'utf8')).trim(), app.top.digest);
    assert.equal(await skopeoInspectDigest(ref('cli/digestfile'), { tlsVerify: false }), app.top.digest);
  });

  test('--json prints one JSON record per line, ending with the result', async () => {
    const run = await runFerry(['--json', 'copy', ...plain, ref('cli/app'), `oci:${join(work, 'json-layout')}:app`]);
    assert.equal(run.code, 0, explain(run));
    const records = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const events = records.map((r) => r['event']).filter((e) => e !== undefined);
    for (const e of ['image-start', 'manifest-resolved', 'blob-done', 'manifest-written', 'image-done']) assert.ok(events.includes(e), `event ${String(e)} in ${events.join(', ')}`);
    const last = records.at(-1) as { result?: { digest: string; source: string; destination: string; blobs: Record<string, number>; bytesTransferred: number } };
    assert.ok(last.result, 'the last record is {result}');
    assert.equal(last.result.digest, app.top.digest);
    assert.equal(last.result.blobs['uploaded'], app.blobs.size);
    assert.equal(last.result.bytesTransferred, [...app.images[0]!.layers, app.images[0]!.config].reduce((n, d) => n + d.size, 0));
    assert.equal(records.filter((r) => 'result' in r).length, 1);
    assert.equal(run.stderr, '', 'nothing besides JSON');
  });

  test('-q prints nothing on success, before or after the command name', async () => {
    for (const [i, args] of [['-q', 'copy'], ['copy', '-q']].entries()) {
      const run = await runFerry([...args, ...plain, ref('cli/app'), ref(`cli/quiet-${i}`)]);
      assert.equal(run.code, 0, explain(run));
      assert.equal(run.stdout, '');
      assert.equal(run.stderr, '');
    }
    const failed = await runFerry(['-q', 'copy', ...plain, ref('cli/app', 'no-such-tag'), ref('cli/quiet-fail')]);
    assert.equal(failed.code, 2);
    assert.match(failed.stderr, /^ferry: /m, 'errors still reach stderr with -q');
  });
});

/**
 * The distribution registry refuses to store these manifests, so a tiny
 * server plays a registry that serves them anyway: just `/v2/` and manifests.
 */
describe('manifests no registry should serve', () => {
  let server: Server;
  let host: string;
  let work: string;
  const big = Buffer.alloc(MAX_MANIFEST_BYTES + 1024, ' ');
  Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[],"config":{}}').copy(big);
  const unknownType = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.example.unknown.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 2 },
      layers: [],
    }),
  );
  const served: Record<string, { body: Buffer; type: string; chunked?: boolean }> = {
    '/v2/big/app/manifests/v1': { body: big, type: 'application/vnd.oci.image.manifest.v1+json' },
    '/v2/big/chunked/manifests/v1': { body: big, type: 'application/vnd.oci.image.manifest.v1+json', chunked: true },
    '/v2/odd/app/manifests/v1': { body: unknownType, type: 'application/vnd.example.unknown.manifest.v1+json' },
  };

  before(async () => {
    work = await tempDir('ferry-bad-manifests');
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/v2/' || path === '/v2') {
        res.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
        res.end('{}');
        return;
      }
      const found = served[path];
      if (!found) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
        return;
      }
      const headers: Record<string, string | number> = { 'content-type': found.type };
      if (!found.chunked) headers['content-length'] = found.body.length;
      res.writeHead(200, headers);
      if (req.method === 'HEAD') res.end();
      else if (found.chunked) {
        // No Content-Length: the limit must hold while reading, not only from the header.
        for (let i = 0; i < found.body.length; i += 256 * 1024) res.write(found.body.subarray(i, i + 256 * 1024));
        res.end();
      } else res.end(found.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (work) await removeTempDir(work);
  });

  test('a manifest over 4 MiB is refused with exit 1', async () => {
    for (const repo of ['big/app', 'big/chunked']) {
      const run = await runFerry(['copy', '--src-tls-verify=false', `docker://${host}/${repo}:v1`, `oci:${join(work, 'layout')}:big`]);
      assert.equal(run.code, 1, explain(run));
      assert.match(run.stderr, /manifest/i);
      assert.match(run.stderr, new RegExp(`${MAX_MANIFEST_BYTES}-byte limit`));
      assertCleanError(run);
    }
  });

  test('a manifest of an unknown media type is refused with exit 1', async () => {
    const run = await runFerry(['copy', '--src-tls-verify=false', `docker://${host}/odd/app:v1`, `oci:${join(work, 'layout')}:odd`]);
    assert.equal(run.code, 1, explain(run));
    assert.match(run.stderr, /unknown manifest media type "application\/vnd\.example\.unknown\.manifest\.v1\+json"/);
    assertCleanError(run);
  });
});
