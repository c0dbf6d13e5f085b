import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { isFerryError } from '../../../errors.ts';
import { isProcessAlive } from '../../../util/process-alive.ts';
import { tempDir } from '../../../../test/helpers/tmp.ts';
import { authFileCandidates, resolveCredentials } from './auth-file.ts';
import { encodeBasicAuth } from './auth-file-format.ts';

const b64 = encodeBasicAuth;

test('authFileCandidates: lookup order and overrides', () => {
  const cases: [NodeJS.ProcessEnv, { authFile?: string }, string[]][] = [
    [
      { HOME: '/h', XDG_RUNTIME_DIR: '/run/user/1' },
      {},
      ['/run/user/1/containers/auth.json', '/h/.config/containers/auth.json', '/h/.docker/config.json', '/h/.dockercfg'],
    ],
    [{ HOME: '/h' }, {}, ['/h/.config/containers/auth.json', '/h/.docker/config.json', '/h/.dockercfg']],
    [
      { HOME: '/h', XDG_CONFIG_HOME: '/cfg', DOCKER_CONFIG: '/dk', XDG_RUNTIME_DIR: '' },
      {},
      ['/cfg/containers/auth.json', '/dk/config.json', '/h/.dockercfg'],
    ],
    [{ HOME: '/h', XDG_RUNTIME_DIR: '/run/user/1', REGISTRY_AUTH_FILE: '/env/auth.json' }, {}, ['/env/auth.json']],
    [{ HOME: '/h', REGISTRY_AUTH_FILE: '/env/auth.json' }, { authFile: '/flag/auth.json' }, ['/flag/auth.json']],
  ];
  for (const [env, options, expected] of cases) assert.deepEqual(authFileCandidates(env, options), expected, JSON.stringify(env));
});

/** A home with a fake credential helper on PATH that logs its calls. */
async function setup(t: { after(fn: () => unknown): void }) {
  const home = await tempDir('ferry-auth-file', t);
  const bin = join(home, 'bin');
  const runtime = join(home, 'run');
  await mkdir(bin, { recursive: true });
  const helperLog = join(home, 'helper.log');
  const helperPid = join(home, 'helper.pid');
  const script = `#!/bin/sh
read -r url
echo "$1 $url" >> "${helperLog}"
case "$url" in
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"hubuser","Secret":"hub-secret"}' "$url" ;;
  tokens.example) printf '{"ServerURL":"%s","Username":"<token>","Secret":"id-token-1"}' "$url" ;;
  broken.example) echo "keychain is locked" >&2; exit 3 ;;
  leaky.example) echo '{"Secret":"leaked-secret"}'; exit 2 ;;
  badjson.example) echo 'Secret=leaked-secret' ; exit 0 ;;
  slow.example) echo $$ > "${helperPid}"; exec sleep 10 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;
  await writeFile(join(bin, 'docker-credential-test'), script);
  await chmod(join(bin, 'docker-credential-test'), 0o755);
  const env: NodeJS.ProcessEnv = { HOME: home, XDG_RUNTIME_DIR: runtime, PATH: `${bin}:/usr/bin:/bin` };
  const write = async (path: string, content: unknown): Promise<void> => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  };
  const files = {
    runtime: join(runtime, 'containers', 'auth.json'),
    config: join(home, '.config', 'containers', 'auth.json'),
    docker: join(home, '.docker', 'config.json'),
    legacy: join(home, '.dockercfg'),
  };
  const helperCalls = async (): Promise<string[]> =>
    (await readFile(helperLog, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
  return { home, env, write, files, helperCalls, helperPid };
}

describe('resolveCredentials', () => {
  test('matches keys most specific first, across key spellings, first file wins', async (t) => {
    const { env, write, files } = await setup(t);
    await write(files.runtime, {
      auths: {
        'quay.io': { auth: b64('host-user', 'host-pass') },
        'quay.io/ns': { auth: b64('ns-user', 'ns-pass') },
        'quay.io/ns/app': { auth: b64('app-user', 'pa:ss:word') },
        'localhost:5000': { identitytoken: 'refresh-1', auth: b64('tok-user', '') },
      },
    });
    await write(files.config, { auths: { 'quay.io': { auth: b64('shadowed', 'x') }, 'ghcr.io': { auth: b64('gh', 'gh-pass') } } });
    await write(files.docker, {
      auths: { 'https://index.docker.io/v1/': { auth: b64('hub', 'hub-pass') }, 'https://reg.example/v2/ns': { registrytoken: 'rt-1' } },
    });
    await write(files.legacy, { 'old.example': { auth: b64('old', 'old-pass'), email: 'x@y' } });

    const cases: [string, string, unknown][] = [
      ['quay.io', 'ns/app', { kind: 'basic', username: 'app-user', password: 'pa:ss:word', source: files.runtime }],
      ['quay.io', 'ns/other', { kind: 'basic', username: 'ns-user', password: 'ns-pass', source: files.runtime }],
      ['quay.io', 'ns/app/deeper', { kind: 'basic', username: 'app-user', password: 'pa:ss:word', source: files.runtime }],
      ['QUAY.IO', 'other/app', { kind: 'basic', username: 'host-user', password: 'host-pass', source: files.runtime }],
      ['ghcr.io', 'a/b', { kind: 'basic', username: 'gh', password: 'gh-pass', source: files.config }],
      ['docker.io', 'library/alpine', { kind: 'basic', username: 'hub', password: 'hub-pass', source: files.docker }],
      ['registry-1.docker.io', 'library/alpine', { kind: 'basic', username: 'hub', password: 'hub-pass', source: files.docker }],
      ['index.docker.io', '', { kind: 'basic', username: 'hub', password: 'hub-pass', source: files.docker }],
      ['localhost:5000', 'x', { kind: 'identity-token', identityToken: 'refresh-1', username: 'tok-user', source: files.runtime }],
      ['reg.example', 'any/thing', { kind: 'registry-token', registryToken: 'rt-1', source: files.docker }],
      ['old.example', 'app', { kind: 'basic', username: 'old', password: 'old-pass', source: files.legacy }],
      ['unknown.example', 'app', undefined],
    ];
    for (const [registry, repository, expected] of cases) {
      assert.deepEqual(await resolveCredentials({ registry, repository, env }), expected, `${registry}/${repository}`);
    }
  });

  test('--authfile and REGISTRY_AUTH_FILE are the only file read', async (t) => {
    const { env, write, files, home } = await setup(t);
    await write(files.runtime, { auths: { 'quay.io': { auth: b64('runtime', 'p') } } });
    const explicit = join(home, 'explicit.json');
    await write(explicit, { auths: { 'ghcr.io': { auth: b64('explicit', 'p') } } });
    assert.equal(await resolveCredentials({ registry: 'quay.io', env, authFile: explicit }), undefined);
    assert.deepEqual(await resolveCredentials({ registry: 'ghcr.io', env: { ...env, REGISTRY_AUTH_FILE: explicit } }), {
      kind: 'basic',
      username: 'explicit',
      password: 'p',
      source: explicit,
    });
    assert.equal(await resolveCredentials({ registry: 'quay.io', env, authFile: join(home, 'missing.json') }), undefined);
  });

  test('credHelpers first, then auths, then credsStore; helpers get the right server URL', async (t) => {
    const { env, write, files, helperCalls } = await setup(t);
    await write(files.docker, {
      auths: { 'docker.io': {}, 'plain.example': { auth: b64('plain', 'plain-pass') }, 'helped.example': { auth: b64('file', 'file-pass') } },
      credHelpers: { 'tokens.example': 'test', 'helped.example': 'test' },
      credsStore: 'test',
    });
    assert.deepEqual(await resolveCredentials({ registry: 'tokens.example', repository: 'a', env }), {
      kind: 'identity-token',
      identityToken: 'id-token-1',
      source: 'docker-credential-test',
    });
    // The helper has nothing for this host: the file's own entry is used.
    assert.deepEqual(await resolveCredentials({ registry: 'helped.example', env }), {
      kind: 'basic',
      username: 'file',
      password: 'file-pass',
      source: files.docker,
    });
    // `{}` marks an entry whose secret lives in the credsStore; Hub is stored under Docker's legacy URL.
    assert.deepEqual(await resolveCredentials({ registry: 'registry-1.docker.io', repository: 'library/alpine', env }), {
      kind: 'basic',
      username: 'hubuser',
      password: 'hub-secret',
      source: 'docker-credential-test',
    });
    assert.deepEqual(await resolveCredentials({ registry: 'plain.example', env }), {
      kind: 'basic',
      username: 'plain',
      password: 'plain-pass',
      source: files.docker,
    });
    assert.equal(await resolveCredentials({ registry: 'nothing.example', env }), undefined);
    assert.deepEqual(await helperCalls(), [
      'get tokens.example',
      'get helped.example',
      'get https://index.docker.io/v1/',
      'get nothing.example',
    ]);
  });

  test('helper failures are CREDENTIAL_HELPER errors that quote no secret', async (t) => {
    const { env, write, files } = await setup(t);
    await write(files.docker, { credsStore: 'test', credHelpers: { 'missing.example': 'does-not-exist', 'evil.example': '../evil' } });
    await assert.rejects(resolveCredentials({ registry: 'broken.example', env }), (error: unknown) => {
      assert.ok(isFerryError(error, 'CREDENTIAL_HELPER'));
      assert.match(error.message, /docker-credential-test .*broken\.example.*exit status 3.*keychain is locked/);
      assert.match(error.message, new RegExp(files.docker.replace(/[.]/g, '\\.')));
      return true;
    });
    for (const registry of ['leaky.example', 'badjson.example']) {
      await assert.rejects(resolveCredentials({ registry, env }), (error: unknown) => {
        assert.ok(isFerryError(error, 'CREDENTIAL_HELPER'), String(error));
        assert.doesNotMatch(`${error.message} ${error.hint ?? ''} ${String(error.cause)}`, /leaked-secret/);
        return true;
      });
    }
    await assert.rejects(resolveCredentials({ registry: 'missing.example', env }), (error: unknown) => {
      assert.ok(isFerryError(error, 'CREDENTIAL_HELPER'));
      assert.match(error.message, /docker-credential-does-not-exist was not found on PATH/);
      assert.match(error.hint ?? '', /install docker-credential-does-not-exist/);
      return true;
    });
    await assert.rejects(resolveCredentials({ registry: 'evil.example', env }), (error: unknown) => isFerryError(error, 'INVALID_CONFIG'));
  });

  test('a hung helper is ended by the timeout and by the signal', async (t) => {
    const { env, write, files, helperPid } = await setup(t);
    await write(files.docker, { credsStore: 'test' });
    // A helper that ran its 10 s to the end would answer nothing and fail as "not JSON", not as a timeout.
    await assert.rejects(resolveCredentials({ registry: 'slow.example', env, helperTimeoutMs: 200 }), (error: unknown) => {
      assert.ok(isFerryError(error, 'CREDENTIAL_HELPER'));
      assert.match(error.message, /no answer within/);
      return true;
    });
    const pid = Number(await readFile(helperPid, 'utf8'));
    assert.ok(pid > 0 && !isProcessAlive(pid), 'the hung helper was killed, not left running');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(resolveCredentials({ registry: 'slow.example', env, signal: controller.signal }), (error: unknown) =>
      isFerryError(error, 'ABORTED'),
    );
  });

  test('malformed files are INVALID_CONFIG naming the file, never the secret', async (t) => {
    const { env, write, files } = await setup(t);
    const cases: [string, RegExp][] = [
      ['{"auths": {"quay.io": {"auth": "c2VjcmV0LXZhbHVl"}}', /not valid JSON \(line 1 column \d+\)/],
      ['{"auths": {"quay.io": {"auth": "hunter2-secret-value"}}}', /"auth" value of "quay\.io" is not base64/],
      ['{"auths": {"quay.io": {"auth": "c2VjcmV0LXZhbHVl"}}}', /"auth" value of "quay\.io" is not base64 of "user:password"/],
      ['{"auths": {"quay.io": {"auth": 42}}}', /auths\["quay\.io"\]\.auth must be a string/],
      ['{"auths": ["hunter2-secret-value"]}', /"auths" must be an object/],
      ['{\n  "auths": {\n    "quay.io": {"auth": hunter2-secret-value}\n  }\n}', /not valid JSON \(line 3 column 25\)/],
      ['[]', /top level must be a JSON object/],
      ['{"credHelpers": {"quay.io": 1}}', /credHelpers\["quay\.io"\] must be a string/],
    ];
    for (const [content, expected] of cases) {
      await write(files.runtime, content);
      await assert.rejects(resolveCredentials({ registry: 'quay.io', env }), (error: unknown) => {
        assert.ok(isFerryError(error, 'INVALID_CONFIG'), String(error));
        assert.match(error.message, expected);
        assert.ok(error.message.includes(files.runtime));
        assert.doesNotMatch(`${error.message} ${error.hint ?? ''} ${String(error.cause)}`, /hunter2|c2VjcmV0|secret-value/);
        return true;
      });
    }
    await write(files.runtime, '');
    assert.equal(await resolveCredentials({ registry: 'quay.io', env }), undefined, 'an empty file has no entries');
  });
});
