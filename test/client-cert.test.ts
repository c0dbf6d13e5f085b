import assert from 'node:assert/strict';
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { skopeoInspectDigest } from './helpers/skopeo.ts';
import { makeCA, makeClientCert, makeServerCert, type ClientCert, type CertificateAuthority } from './helpers/tls.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * A registry that demands a client certificate (Debian's registry with
 * `clientcas`): ferry presents the `*.cert`/`*.key` pair of `--cert-dir`, of
 * `~/.config/containers/certs.d/HOST:PORT/`, and of the machine-wide roots
 * (pointed at temp dirs with FERRY_SYSTEM_CERTS_D, as documented), under
 * either spelling of the directory name (`HOST:PORT`, `HOST_PORT`).
 */

const skip = requirePeer('docker-registry', 'skopeo', 'openssl');
const store = syntheticStore([{ name: 'mtls/app', tag: 'v1', layers: [16 * 1024] }]);

describe('client certificates', { skip }, () => {
  let registry: RunningRegistry;
  let work: string;
  let ca: CertificateAuthority;
  let client: ClientCert;
  let expected: string;
  let n = 0;

  before(async () => {
    work = await tempDir('ferry-client-cert');
    ca = await makeCA(join(work, 'ca'));
    const server = await makeServerCert(ca);
    client = await makeClientCert(ca);
    registry = await startRegistry({ tls: { ...server, clientCAs: [ca.cert] } });
    await seedRegistry(registry.host, store.repository('mtls/app'), ['v1'], { dest: { certDir: client.certDir } });
    expected = (await store.image('mtls/app', 'v1')).top.digest;
  });

  after(async () => {
    await registry?.stop();
    if (work) await removeTempDir(work);
  });

  /** Copies the image out to a fresh OCI layout with `args` and `env`; returns the run and, on success, the layout's digest. */
  async function pull(args: string[], env: Record<string, string> = {}) {
    const out = join(work, `out-${n++}`);
    const run = await runFerry(['copy', ...args, `docker://${registry.host}/mtls/app:v1`, `oci:${out}:app`], { env });
    return { run, digest: run.code === 0 ? await skopeoInspectDigest(`oci:${out}:app`) : undefined };
  }

  /** A certs.d root holding the client pair and CA for the registry under `name` (default `HOST:PORT`). */
  async function certsRoot(label: string, name = registry.host): Promise<string> {
    const root = join(work, label);
    await mkdir(root, { recursive: true });
    await cp(client.certDir, join(root, name), { recursive: true });
    return root;
  }

  test('--src-cert-dir with a client pair is accepted; the CA alone is refused', async () => {
    const withPair = await pull(['--src-cert-dir', client.certDir]);
    assert.equal(withPair.run.code, 0, explain(withPair.run));
    assert.equal(withPair.digest, expected);
    const caOnly = await pull(['--src-cert-dir', ca.certDir]);
    assert.equal(caOnly.run.code, 1, explain(caOnly.run));
    assert.match(caOnly.run.stderr, /TLS|certificate|handshake|socket/i);
    assert.doesNotMatch(caOnly.run.stderr, /^\s+at /m);
  });

  test('a certs.d directory under HOME supplies the client pair', async () => {
    const home = join(work, 'home');
    await mkdir(join(home, '.config', 'containers'), { recursive: true });
    await cp(await certsRoot('home-certs'), join(home, '.config', 'containers', 'certs.d'), { recursive: true });
    const run = await pull([], { HOME: home, FERRY_SYSTEM_CERTS_D: join(work, 'no-such-root') });
    assert.equal(run.run.code, 0, explain(run.run));
    assert.equal(run.digest, expected);
  });

  test('the machine-wide roots, moved by FERRY_SYSTEM_CERTS_D, are read, the Docker one too', async () => {
    const empty = join(work, 'empty-root');
    await mkdir(empty, { recursive: true });
    const docker = await certsRoot('docker-certs');
    // As /etc/containers/certs.d (empty here) and /etc/docker/certs.d (with the pair).
    const found = await pull([], { FERRY_SYSTEM_CERTS_D: `${empty}:${docker}` });
    assert.equal(found.run.code, 0, explain(found.run));
    assert.equal(found.digest, expected);
    const none = await pull([], { FERRY_SYSTEM_CERTS_D: empty });
    assert.equal(none.run.code, 1, `without the pair anywhere the registry refuses: ${explain(none.run)}`);
  });

  test('a certs.d directory spelt HOST_PORT is read as HOST:PORT', async () => {
    const underscore = await certsRoot('underscore-certs', registry.host.replace(/:(\d+)$/, '_$1'));
    const run = await pull([], { FERRY_SYSTEM_CERTS_D: underscore });
    assert.equal(run.run.code, 0, explain(run.run));
    assert.equal(run.digest, expected);
  });
});
