import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { isFerryError } from '../../../errors.ts';
import { tempDir } from '../../../../test/helpers/tmp.ts';
import { login, logout, resolveCredentials } from './auth-file.ts';
import { encodeBasicAuth } from './auth-file-format.ts';

async function home(t: { after(fn: () => unknown): void }) {
  const dir = await tempDir('ferry-login', t);
  const env: NodeJS.ProcessEnv = { HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), PATH: '/usr/bin:/bin' };
  const runtimeFile = join(dir, 'run', 'containers', 'auth.json');
  const configFile = join(dir, '.config', 'containers', 'auth.json');
  const dockerFile = join(dir, '.docker', 'config.json');
  return { dir, env, runtimeFile, configFile, dockerFile };
}

const readJson = async (path: string): Promise<Record<string, unknown>> => JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

test('login writes the runtime auth file with mode 0600 in a 0700 directory, and the entry resolves', async (t) => {
  const { env, runtimeFile } = await home(t);
  const written = await login({ registry: 'localhost:5000', username: 'alice', password: 'pa:ss', env });
  assert.equal(written, runtimeFile);
  assert.equal(await mode(runtimeFile), 0o600);
  assert.equal(await mode(dirname(runtimeFile)), 0o700);
  assert.deepEqual(await readJson(runtimeFile), { auths: { 'localhost:5000': { auth: encodeBasicAuth('alice', 'pa:ss') } } });
  assert.deepEqual(await resolveCredentials({ registry: 'localhost:5000', repository: 'a/b', env }), {
    kind: 'basic',
    username: 'alice',
    password: 'pa:ss',
    source: runtimeFile,
  });
});

test('login keeps other keys and entries, replaces every spelling of the same registry, and swaps the file atomically', async (t) => {
  const { env, runtimeFile } = await home(t);
  await mkdir(dirname(runtimeFile), { recursive: true });
  await writeFile(
    runtimeFile,
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: encodeBasicAuth('old', 'old') },
        'quay.io': { auth: encodeBasicAuth('q', 'q'), email: 'kept@example' },
      },
      credHelpers: { 'gcr.io': 'gcloud' },
      experimental: 'enabled',
    }),
    { mode: 0o644 },
  );
  const inodeBefore = (await stat(runtimeFile)).ino;
  await login({ registry: 'index.docker.io', username: 'hub', password: 'new', env });
  assert.deepEqual(await readJson(runtimeFile), {
    auths: {
      'quay.io': { auth: encodeBasicAuth('q', 'q'), email: 'kept@example' },
      'docker.io': { auth: encodeBasicAuth('hub', 'new') },
    },
    credHelpers: { 'gcr.io': 'gcloud' },
    experimental: 'enabled',
  });
  assert.notEqual((await stat(runtimeFile)).ino, inodeBefore, 'a new file was renamed into place');
  assert.equal(await mode(runtimeFile), 0o600, 'the replaced file is private even when the old one was not');
  assert.deepEqual(await readdir(dirname(runtimeFile)), ['auth.json'], 'no temp file left behind');
});

test('login refuses to overwrite a file it cannot parse, and leaves it as it was', async (t) => {
  const { env, runtimeFile } = await home(t);
  await mkdir(dirname(runtimeFile), { recursive: true });
  await writeFile(runtimeFile, '{"auths": {');
  await assert.rejects(login({ registry: 'quay.io', username: 'u', password: 'secret-pw', env }), (error: unknown) => {
    assert.ok(isFerryError(error, 'INVALID_CONFIG'));
    assert.doesNotMatch(error.message, /secret-pw/);
    return true;
  });
  assert.equal(await readFile(runtimeFile, 'utf8'), '{"auths": {');
});

test('login falls back to ~/.config when the runtime directory is unusable; --authfile is exclusive', async (t) => {
  const { dir, env, configFile } = await home(t);
  const notADir = join(dir, 'run-is-a-file');
  await writeFile(notADir, '');
  assert.equal(await login({ registry: 'quay.io', username: 'u', password: 'p', env: { ...env, XDG_RUNTIME_DIR: notADir } }), configFile);
  assert.equal(await mode(configFile), 0o600);
  const explicit = join(dir, 'custom', 'auth.json');
  assert.equal(await login({ registry: 'quay.io/ns', username: 'n', password: 'p', env, authFile: explicit }), explicit);
  assert.deepEqual(Object.keys((await readJson(explicit)).auths as object), ['quay.io/ns']);
  await assert.rejects(
    login({ registry: 'quay.io', username: 'u', password: 'p', env, authFile: join(notADir, 'auth.json') }),
    (error: unknown) => isFerryError(error, 'IO'),
  );
  await assert.rejects(login({ registry: 'quay.io', username: 'a:b', password: 'p', env }), (error: unknown) => isFerryError(error, 'USAGE'));
});

test('logout removes one registry, keeps the rest, and says clearly when there was nothing', async (t) => {
  const { env, runtimeFile, dockerFile } = await home(t);
  await login({ registry: 'quay.io', username: 'u', password: 'p', env });
  await login({ registry: 'docker.io', username: 'h', password: 'p', env });
  const result = await logout({ registry: 'registry-1.docker.io', env });
  assert.deepEqual(result, { files: [{ path: runtimeFile, removed: ['docker.io'] }] });
  assert.deepEqual(Object.keys((await readJson(runtimeFile)).auths as object), ['quay.io']);
  assert.equal(await mode(runtimeFile), 0o600);

  await mkdir(dirname(dockerFile), { recursive: true });
  await writeFile(dockerFile, JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: encodeBasicAuth('d', 'd') } } }));
  await assert.rejects(logout({ registry: 'docker.io', env }), (error: unknown) => {
    assert.ok(isFerryError(error, 'NOT_FOUND'));
    assert.match(error.message, /not logged in to docker\.io/);
    assert.match(error.hint ?? '', /\.docker\/config\.json has credentials for docker\.io/);
    return true;
  });
  await assert.rejects(logout({ registry: 'never.example', env: { ...env, HOME: '/nonexistent' } }), (error: unknown) =>
    isFerryError(error, 'NOT_FOUND'),
  );
  await assert.rejects(logout({ env }), (error: unknown) => isFerryError(error, 'USAGE'));
});

test('logout --all empties auths of every primary file and keeps other keys', async (t) => {
  const { env, runtimeFile, configFile } = await home(t);
  await login({ registry: 'quay.io', username: 'u', password: 'p', env });
  await login({ registry: 'ghcr.io', username: 'g', password: 'p', env: { ...env, XDG_RUNTIME_DIR: undefined } });
  const doc = await readJson(configFile);
  await writeFile(configFile, JSON.stringify({ ...doc, credHelpers: { 'gcr.io': 'gcloud' } }));
  const result = await logout({ all: true, env });
  assert.deepEqual(result.files, [
    { path: runtimeFile, removed: ['quay.io'] },
    { path: configFile, removed: ['ghcr.io'] },
  ]);
  assert.deepEqual(await readJson(runtimeFile), { auths: {} });
  assert.deepEqual(await readJson(configFile), { auths: {}, credHelpers: { 'gcr.io': 'gcloud' } });
  assert.deepEqual(await logout({ all: true, env }), { files: [] }, 'nothing left is not an error');
});
