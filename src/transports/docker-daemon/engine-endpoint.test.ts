import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isFerryError } from '../../errors.ts';
import { tempDir } from '../../../test/helpers/tmp.ts';
import { DEFAULT_DOCKER_HOST, dockerEndpoint, parseEngineHost } from './engine-endpoint.ts';

describe('parseEngineHost', () => {
  it('reads unix sockets and TCP hosts as docker does', async () => {
    assert.deepEqual(await parseEngineHost('unix:///run/docker.sock', { source: 'x' }), { kind: 'unix', socketPath: '/run/docker.sock', display: 'unix:///run/docker.sock' });
    assert.deepEqual(await parseEngineHost('tcp://10.0.0.5', { source: 'x' }), { kind: 'tcp', origin: 'http://10.0.0.5:2375', tls: undefined, display: 'tcp://10.0.0.5' });
    assert.deepEqual(await parseEngineHost('http://[::1]:8080', { source: 'x' }), { kind: 'tcp', origin: 'http://[::1]:8080', tls: undefined, display: 'http://[::1]:8080' });
    const https = await parseEngineHost('https://docker.example', { source: 'x', certPath: '/nonexistent' });
    assert.equal(https.kind === 'tcp' && https.origin, 'https://docker.example:2376');
  });

  it('takes TLS material from the cert path when DOCKER_TLS_VERIFY asks for it', async (t) => {
    const dir = await tempDir('ferry-engine-certs', t);
    await mkdir(join(dir, 'certs'));
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) await writeFile(join(dir, 'certs', name), `${name} bytes`);
    const endpoint = await parseEngineHost('tcp://127.0.0.1:2376', { source: 'DOCKER_HOST', tlsVerify: true, certPath: join(dir, 'certs') });
    assert.equal(endpoint.kind, 'tcp');
    assert.ok(endpoint.kind === 'tcp' && endpoint.tls);
    assert.equal(endpoint.kind === 'tcp' && endpoint.origin, 'https://127.0.0.1:2376');
    assert.equal(endpoint.kind === 'tcp' && endpoint.tls?.ca?.toString(), 'ca.pem bytes');
    // DOCKER_TLS_VERIFY promises a CA; its absence is an error that names the file.
    await assert.rejects(parseEngineHost('tcp://127.0.0.1', { source: 'DOCKER_HOST', tlsVerify: true, certPath: dir }), (e) => isFerryError(e, 'INVALID_CONFIG') && e.message.includes(join(dir, 'ca.pem')));
  });

  it('refuses hosts it cannot reach, naming where they came from', async () => {
    const cases: Array<[string, RegExp]> = [
      ['ssh://me@build-host', /ssh:\/\/ is not supported/],
      ['npipe:////./pipe/docker_engine', /npipe:\/\/ is not supported/],
      ['unix://relative.sock', /must be absolute/],
      ['/var/run/docker.sock', /expected a URL/],
      ['ftp://host', /unknown scheme/],
      ['tcp://host:2375/path', /only a host and a port/],
    ];
    for (const [host, rule] of cases) {
      await assert.rejects(parseEngineHost(host, { source: '--src-daemon-host' }), (e) => isFerryError(e, 'USAGE') && rule.test(e.message) && e.message.startsWith(`--src-daemon-host "${host}"`), host);
    }
  });
});

describe('dockerEndpoint', () => {
  it('prefers the flag, then DOCKER_HOST, then the default socket', async () => {
    assert.equal((await dockerEndpoint({ env: {} })).display, DEFAULT_DOCKER_HOST);
    assert.equal((await dockerEndpoint({ env: { DOCKER_HOST: '' } })).display, DEFAULT_DOCKER_HOST);
    assert.equal((await dockerEndpoint({ env: { DOCKER_HOST: 'unix:///env.sock' } })).display, 'unix:///env.sock');
    assert.equal((await dockerEndpoint({ host: 'unix:///flag.sock', env: { DOCKER_HOST: 'unix:///env.sock' } })).display, 'unix:///flag.sock');
    await assert.rejects(dockerEndpoint({ env: { DOCKER_HOST: 'bogus' } }), (e) => isFerryError(e, 'USAGE') && e.message.startsWith('DOCKER_HOST "bogus"'));
    await assert.rejects(dockerEndpoint({ host: 'bogus', flag: '--dest-daemon-host', env: {} }), (e) => isFerryError(e, 'USAGE') && e.message.startsWith('--dest-daemon-host "bogus"'));
  });
});
