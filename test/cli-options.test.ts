import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { SYNC_DESTINATION_TRANSPORTS } from '../src/transports/transport-table.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry } from './helpers/registry.ts';
import { skopeoInspectDigest } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';
import { image, PLAIN, seedAll } from './fixtures/sync.ts';

/**
 * The thin CLI, seen from outside: the version is package.json's; sync's
 * `--dest` kinds are the transport table's; command files hold flags and
 * output only; `--report` and `--digestfile` are written whole (atomically:
 * no temp file left), and the digest file names what skopeo sees.
 */

const ROOT = new URL('..', import.meta.url).pathname;

test('ferry --version prints the version of package.json', async () => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const run = await runFerry(['--version']);
  assert.equal(run.code, 0, explain(run));
  assert.equal(run.stdout.trim(), pkg.version);
});

test("sync's --dest kinds come from the transport table", async () => {
  const help = await runFerry(['sync', '--help']);
  const choices = /--dest <transport>\s+skopeo-style destination kind\s+\(choices:\s+([^)]*)\)/.exec(help.stdout.replace(/\s+/g, ' '));
  assert.ok(choices, help.stdout);
  assert.deepEqual(choices[1]!.split(',').map((c) => c.trim().replace(/"/g, '')), [...SYNC_DESTINATION_TRANSPORTS]);
  const refused = await runFerry(['sync', '--dest', 'docker-archive', '--src', 'docker', 'a/b', 'c']);
  assert.equal(refused.code, 2, explain(refused));
  assert.match(refused.stderr, new RegExp(`Allowed choices are ${SYNC_DESTINATION_TRANSPORTS.join(', ')}`));
});

test('command files hold argument handling and output: each well under 100 lines', async () => {
  const dir = join(ROOT, 'src/cli/commands');
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 15);
  for (const f of files) {
    const lines = (await readFile(join(dir, f), 'utf8')).split('\n').length;
    assert.ok(lines < 100, `${f} has ${lines} lines`);
  }
});

test('--report and --digestfile are written whole, and the digest file names what the registry holds', { skip: requirePeer('docker-registry', 'skopeo') }, async (t) => {
  const store = syntheticStore([image('team/app', 'v1'), image('team/app', 'v2')]);
  const [source, dest, dir] = await Promise.all([startRegistry({ t }), startRegistry({ t }), tempDir('ferry-cli-options', t)]);
  await seedAll(store, source.host, [image('team/app', 'v1'), image('team/app', 'v2')]);
  const run = await runFerry(['sync', '--src', 'docker', '--dest', 'docker', ...PLAIN, `${source.host}/team/app`, `${dest.host}/m`, '--report', join(dir, 'report.json'), '--digestfile', join(dir, 'digests')]);
  assert.equal(run.code, 0, explain(run));
  assert.deepEqual((await readdir(dir)).sort(), ['digests', 'report.json'], 'no temp file left beside them');
  const lines = (await readFile(join(dir, 'digests'), 'utf8')).trim().split('\n').sort();
  assert.equal(lines.length, 2);
  // Each line is `DIGEST DESTINATION`, the destination as the report names it (transport included).
  assert.deepEqual(lines.map((line) => line.split(' ')[1]).sort(), [`docker://${dest.host}/m/app:v1`, `docker://${dest.host}/m/app:v2`]);
  for (const line of lines) {
    const [digest, destination] = line.split(' ') as [string, string];
    assert.equal(await skopeoInspectDigest(destination, { tlsVerify: false }), digest);
  }
  const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as { totals: { copied: number } };
  assert.equal(report.totals.copied, 2);
});
