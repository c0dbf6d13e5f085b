import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { requirePeer } from '../../../test/helpers/peers.ts';
import { runSkopeo } from '../../../test/helpers/skopeo.ts';
import { tempDir } from '../../../test/helpers/tmp.ts';
import { FerryError } from '../../errors.ts';
import { formatReference, parseReference } from '../../ref/reference.ts';
import { skopeoDockerSource } from '../config/skopeo-cli.ts';
import { parseSkopeoYaml } from '../config/skopeo-yaml.ts';
import type { SyncSpec } from '../config/sync-spec.ts';
import { destinationFor, formatTarget } from './destination.ts';

// Explicit tags and digests only: skopeo then names every image without contacting a registry.
const YAML = `
docker.io:
  images:
    busybox: ["1.36", "sha256:${'0'.repeat(64)}"]
    library/alpine: ["3.19"]
    bitnami/redis: ["7"]
    nginx: [1.10]
quay.io:
  images:
    coreos/etcd: ["v3.5.0"]
index.docker.io:
  images:
    a/b/c: [v1]
quay.io/coreos:
  images:
    etcd: [v3.4.0]
`;

/** Destination names ferry derives for every explicit image of a spec, normalised. */
function ferryNames(spec: SyncSpec): string[] {
  const out: string[] = [];
  for (const rule of spec.sources) {
    assert.equal(rule.source.kind, 'repository');
    assert.equal(rule.tags.kind, 'explicit');
    if (rule.source.kind !== 'repository' || rule.tags.kind !== 'explicit') continue;
    const base = { registry: rule.source.registry, repository: rule.source.repository };
    const images = [...rule.tags.tags.map((tag) => ({ ...base, tag })), ...rule.tags.digests.map((digest) => ({ ...base, digest }))];
    for (const image of images) out.push(formatTarget(destinationFor(rule.destinations[0]!, image)));
  }
  return out.sort();
}

/** The `to=` names of `skopeo sync --dry-run`, normalised the same way. */
function skopeoNames(stderr: string): string[] {
  return [...stderr.matchAll(/ to="docker:\/\/([^"]+)"/g)].map((m) => `docker://${formatReference(parseReference(m[1]!))}`).sort();
}

test('destination names match skopeo sync --dry-run (yaml source)', { skip: requirePeer('skopeo') }, async (t) => {
  const dir = await tempDir('ferry-naming', t);
  const file = join(dir, 'sync.yaml');
  await writeFile(file, YAML);
  for (const scoped of [false, true]) {
    for (const dest of ['myreg.example.com/mirror', 'myreg', 'localhost:5000']) {
      const args = ['sync', '--dry-run', ...(scoped ? ['--scoped'] : []), '--src', 'yaml', '--dest', 'docker', file, dest];
      const result = await runSkopeo(args);
      assert.equal(result.code, 0, result.stderr);
      const expected = skopeoNames(result.stderr);
      assert.equal(expected.length, 8);
      const spec = parseSkopeoYaml(YAML, file, { transport: 'docker', destination: dest }, { scoped });
      assert.deepEqual(ferryNames(spec), expected, `scoped=${scoped} dest=${dest}`);
    }
  }
});

test('destination names match skopeo sync --dry-run (docker source)', { skip: requirePeer('skopeo') }, async () => {
  for (const source of ['busybox:1.36', 'quay.io/a/b/c:v1', `localhost:5000/x/y@sha256:${'0'.repeat(64)}`]) {
    for (const scoped of [false, true]) {
      const result = await runSkopeo(['sync', '--dry-run', ...(scoped ? ['--scoped'] : []), '--src', 'docker', '--dest', 'docker', source, 'myreg.example.com/m']);
      const build = () => skopeoDockerSource(source, { transport: 'docker', destination: 'myreg.example.com/m' }, { scoped });
      if (result.code !== 0) {
        // skopeo cannot name a scoped image from a registry with a port; ferry refuses it up front.
        assert.match(result.stderr, /invalid reference format/);
        assert.throws(build, (e: unknown) => e instanceof FerryError && /not a valid image reference/.test(e.message) && /--scoped/.test(e.hint ?? ''));
        continue;
      }
      assert.deepEqual(ferryNames(build()), skopeoNames(result.stderr), `${source} scoped=${scoped}`);
    }
  }
});
