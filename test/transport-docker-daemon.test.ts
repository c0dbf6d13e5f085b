import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { copy } from '../src/api/copy.ts';
import { inspect, inspectConfig } from '../src/api/inspect.ts';
import { isFerryError } from '../src/errors.ts';
import { openImage } from '../src/transports/open-image.ts';
import { repositoryContract } from './fixtures/repository-contract.ts';
import { startDockerd, type RunningDockerd } from './helpers/dockerd.ts';
import { FERRY_BIN, explain, runFerry } from './helpers/ferry-cli.ts';
import { suiteHooks } from './helpers/cleanup.ts';
import { peerPath, requirePeer } from './helpers/peers.ts';
import { runChild } from './helpers/run-child.ts';
import { startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { skopeo, skopeoCopy } from './helpers/skopeo.ts';
import { makeCA, makeClientCert, makeServerCert } from './helpers/tls.ts';
import { tempDir } from './helpers/tmp.ts';
import { configIdentity, corruptDirImage, rawDigest, rawManifest, sha256, sourceLayout, type SourceLayout } from './fixtures/transport.ts';

/**
 * docker-daemon: against a real Docker daemon (Debian's docker.io) that this
 * file starts on a socket in a temp dir (see helpers/dockerd.ts), with skopeo's
 * docker-daemon: transport and the docker CLI as independent peers. The daemon
 * also listens on TCP with TLS and client certificates, for DOCKER_HOST.
 */

const skip = requirePeer('dockerd', 'docker', 'setpriv', 'unshare', 'skopeo', 'docker-registry', 'openssl');
/** skopeo's flag for the plain-HTTP test registry. */
const INSECURE = ['--tls-verify=false'];

describe('docker-daemon: transport', { skip }, () => {
  // One daemon, registry and source layout for the whole file, stopped and removed after its last test.
  const hooks = suiteHooks();
  let daemon: RunningDockerd;
  let registry: RunningRegistry;
  let src: SourceLayout;
  let identity: { configDigest: string; diffIds: string[] };
  let certPath: string;
  const onDaemon = (): { daemonHost: string } => ({ daemonHost: daemon.host });
  const imageId = async (name: string): Promise<string> => {
    const run = await daemon.docker(['image', 'inspect', '--format', '{{.Id}}', name]);
    assert.equal(run.code, 0, run.stderr);
    return run.stdout.toString().trim();
  };

  before(async () => {
    const pki = await tempDir('ferry-dockerd-pki', hooks);
    const ca = await makeCA(pki);
    const server = await makeServerCert(ca);
    const client = await makeClientCert(ca);
    // DOCKER_CERT_PATH's names, as docker's CLI expects them.
    certPath = join(pki, 'docker-client');
    await mkdir(certPath);
    await copyFile(ca.cert, join(certPath, 'ca.pem'));
    await copyFile(client.cert, join(certPath, 'cert.pem'));
    await copyFile(client.key, join(certPath, 'key.pem'));
    [daemon, registry, src] = await Promise.all([startDockerd({ tls: { ca: ca.cert, cert: server.cert, key: server.key }, t: hooks }), startRegistry({ t: hooks }), sourceLayout(hooks)]);
    identity = await configIdentity(src.single);
  });

  it('OCI layout → daemon → registry and back: the image ID is the config digest, layers are the diff_ids', async () => {
    await copy(src.single, 'docker-daemon:ferry/app:1', { dest: onDaemon() });
    assert.equal(await imageId('ferry/app:1'), identity.configDigest);

    const pushed = await copy('docker-daemon:ferry/app:1', `docker://${registry.host}/daemon/app:1`, { src: onDaemon(), dest: { tlsVerify: false } });
    const reg = `docker://${registry.host}/daemon/app:1`;
    assert.deepEqual(await configIdentity(reg, INSECURE), identity);
    const manifest = await rawManifest(reg, INSECURE);
    assert.deepEqual(manifest.layers.map((l) => l.digest), identity.diffIds, 'the daemon gives uncompressed layers, named by their diff_ids');
    assert.equal(pushed.digest, await rawDigest(reg, INSECURE));

    await copy(reg, 'docker-daemon:ferry/back:1', { src: { tlsVerify: false }, dest: onDaemon() });
    assert.equal(await imageId('ferry/back:1'), identity.configDigest);
    const listed = await daemon.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.match(listed.stdout.toString(), /ferry\/app:1/);

    // gzip layers go into the load as they are; the daemon decompresses them to the same image.
    await copy(src.gzip, 'docker-daemon:ferry/gz:1', { dest: onDaemon() });
    assert.equal(await imageId('ferry/gz:1'), identity.configDigest);
  });

  it('skopeo and ferry agree: each reads what the other wrote, with the same config digest', async () => {
    await copy(src.single, 'docker-daemon:ferry/peer:1', { dest: onDaemon() });
    const bySkopeo = await skopeo(['inspect', '--config', '--raw', '--daemon-host', daemon.host, 'docker-daemon:ferry/peer:1']);
    assert.equal(sha256(bySkopeo.stdout), identity.configDigest);

    await skopeoCopy(src.single, 'docker-daemon:skopeo/app:1', ['--dest-daemon-host', daemon.host]);
    const config = await inspectConfig('docker-daemon:skopeo/app:1', { access: onDaemon() });
    assert.equal(sha256(config), identity.configDigest);
    const described = await inspect('docker-daemon:skopeo/app:1', { access: onDaemon() });
    assert.deepEqual(described.Layers, identity.diffIds);
    assert.equal(described.Name, 'docker.io/skopeo/app');
    // By image ID too, as `docker images --no-trunc` shows it.
    const byId = await inspect(`docker-daemon:${identity.configDigest}`, { access: onDaemon() });
    assert.equal(byId.Digest, described.Digest, 'the synthesized manifest is the same whichever name reads it');

    const run = await runFerry(['copy', '--src-daemon-host', daemon.host, '--dest-tls-verify=false', 'docker-daemon:skopeo/app:1', `docker://${registry.host}/skopeo/app:1`]);
    assert.equal(run.code, 0, explain(run));
    assert.equal((await configIdentity(`docker://${registry.host}/skopeo/app:1`, INSECURE)).configDigest, identity.configDigest);
  });

  it('refuses what a daemon cannot hold and loads nothing when a copy fails', async () => {
    const before = (await daemon.docker(['images', '-q', '--no-trunc'])).stdout.toString();
    await assert.rejects(copy(src.multi, 'docker-daemon:ferry/multi:1', { all: true, dest: onDaemon() }), (e) => isFerryError(e, 'UNSUPPORTED') && /single image/.test(e.message));
    await assert.rejects(copy(src.single, 'docker-daemon:ferry/keep:1', { preserveDigests: true, dest: onDaemon() }), (e) => isFerryError(e, 'DIGEST_CHANGE'));
    await assert.rejects(copy(src.single, `docker-daemon:${identity.configDigest}`, { dest: onDaemon() }), (e) => isFerryError(e, 'INVALID_REFERENCE') && /needs a name with a tag/.test(e.message));

    // A layer that breaks its digest half-way: the load stream is cut and the daemon keeps nothing.
    const work = await tempDir('ferry-daemon-corrupt', hooks);
    const dir = join(work, 'image');
    await corruptDirImage(src.single, dir);
    await assert.rejects(copy(`dir:${dir}`, 'docker-daemon:ferry/broken:1', { dest: onDaemon() }), (e) => isFerryError(e, 'DIGEST_MISMATCH'));
    assert.notEqual((await daemon.docker(['image', 'inspect', 'ferry/broken:1'])).code, 0);
    assert.equal((await daemon.docker(['images', '-q', '--no-trunc'])).stdout.toString(), before, 'no image (tagged or not) was added');

    const missing = await runFerry(['copy', '--src-daemon-host', daemon.host, 'docker-daemon:ferry/nope:1', `oci:${work}/out:x`]);
    assert.equal(missing.code, 2, explain(missing));
    assert.match(missing.stderr, /docker-daemon:ferry\/nope:1: no such image in the Docker daemon at unix:\/\//);
    assert.match(missing.stderr, /hint: docker images docker\.io\/ferry\/nope/);
    const noId = await runFerry(['inspect', '--daemon-host', daemon.host, `docker-daemon:sha256:${'0'.repeat(64)}`]);
    assert.equal(noId.code, 2, explain(noId));
  });

  it('says what is wrong with the daemon: no socket, permission denied, TLS over TCP', async () => {
    const work = await tempDir('ferry-daemon-errors', hooks);
    await copy(src.single, 'docker-daemon:ferry/app:1', { dest: onDaemon() });
    const none = await runFerry(['inspect', 'docker-daemon:app:1'], { env: { DOCKER_HOST: `unix://${work}/docker.sock` } });
    assert.equal(none.code, 1, explain(none));
    assert.match(none.stderr, new RegExp(`the Docker daemon is not running: there is no socket at ${work}/docker.sock`));
    assert.match(none.stderr, /hint: start dockerd, or point DOCKER_HOST/);

    // The socket is root:docker 0660; nobody (uid 65534) is not in the group.
    const denied = await runChild(peerPath('setpriv'), ['--reuid=65534', '--regid=65534', '--clear-groups', FERRY_BIN, 'inspect', '--daemon-host', daemon.host, 'docker-daemon:ferry/app:1'], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/tmp' },
      timeoutMs: 60_000,
    });
    assert.equal(denied.code, 1, explain(denied));
    assert.match(denied.stderr, new RegExp(`permission denied on the Docker daemon's socket ${daemon.socket}`));
    assert.match(denied.stderr, /hint: add your user to the docker group/);

    // DOCKER_HOST over TCP with TLS and a client certificate, as docker's CLI reads it.
    const tls = { DOCKER_HOST: daemon.tcpHost!, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath };
    const overTls = await runFerry(['inspect', '--config', '--raw', 'docker-daemon:ferry/app:1'], { env: tls });
    assert.equal(overTls.code, 0, explain(overTls));
    // `inspect --config --raw` ends the bytes with a newline for the terminal.
    assert.equal(sha256(overTls.stdout.replace(/\n$/, '')), identity.configDigest);
    // Without DOCKER_TLS_VERIFY, tcp:// is plain HTTP, which a TLS daemon does not speak.
    const plain = await runFerry(['inspect', 'docker-daemon:ferry/app:1'], { env: { ...tls, DOCKER_TLS_VERIFY: undefined } });
    assert.equal(plain.code, 1, explain(plain));
  });

  it('sync: every tag of a daemon repository to a registry, then nothing to do', async () => {
    await copy(src.single, 'docker-daemon:ferry/many:1', { dest: onDaemon() });
    assert.equal((await daemon.docker(['tag', 'ferry/many:1', 'ferry/many:2'])).code, 0);
    const args = ['sync', '--src', 'docker-daemon', '--dest', 'docker', '--src-daemon-host', daemon.host, '--dest-tls-verify=false', 'ferry/many', `${registry.host}/mirror`];
    const first = await runFerry(args);
    assert.equal(first.code, 0, explain(first));
    assert.match(first.stderr, /Plan: 2 images: 2 to copy/);
    for (const tag of ['1', '2']) {
      assert.equal((await configIdentity(`docker://${registry.host}/mirror/many:${tag}`, INSECURE)).configDigest, identity.configDigest);
    }
    const again = await runFerry(args);
    assert.equal(again.code, 0, explain(again));
    assert.match(again.stderr, /Plan: 2 images: 0 to copy, 2 already up to date/);
  });

  // The Repository contract every transport keeps, against this daemon.
  let fresh = 0;
  repositoryContract({
    name: 'docker-daemon',
    readsWhileWriting: false,
    namesImages: false,
    async fresh() {
      const ref = `docker-daemon:contract/app-${++fresh}:1.0`;
      return {
        destination: () => openImage(ref, { role: 'destination', access: onDaemon() }),
        source: () => openImage(ref, { role: 'source', access: onDaemon() }),
      };
    },
  });
});
