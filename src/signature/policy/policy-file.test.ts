import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { isFerryError } from '../../errors.ts';
import { signatureChannel } from '../../util/debug-channels.ts';
import { loadPolicy } from './policy-file.ts';
import { jsonPath, parsePolicy } from './policy-parse.ts';

const key = { type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k.gpg' };

test('malformed policies are refused as a whole, naming the file and the JSON path', () => {
  const table: Array<[policy: unknown, problem: RegExp]> = [
    [{}, /\$\.default: .*expected array/],
    [{ default: [] }, /\$\.default: a list of requirements must not be empty/],
    [{ default: [{ type: 'acceptEverything' }] }, /\$\.default\[0\]\.type: unknown requirement type/],
    [{ default: [{ type: 'reject', extra: 1 }] }, /\$\.default\[0\]: Unrecognized key: "extra"/],
    [{ default: [{ type: 'reject' }], transport: {} }, /\$: Unrecognized key: "transport"/],
    [{ default: [{ type: 'signedBy', keyType: 'GPGKeys' }] }, /\$\.default\[0\]: signedBy needs exactly one of keyPath, keyPaths, keyData/],
    [{ default: [{ ...key, keyData: 'AAAA' }] }, /found keyPath and keyData/],
    [{ default: [{ ...key, keyType: 'SSHKeys' }] }, /\$\.default\[0\]\.keyType: unknown keyType/],
    [{ default: [{ ...key, keyPath: undefined, keyData: 'not base64!' }] }, /\$\.default\[0\]\.keyData: not base64/],
    [{ default: [{ ...key, signedIdentity: { type: 'matchEverything' } }] }, /\$\.default\[0\]\.signedIdentity\.type: unknown signedIdentity type/],
    [{ default: [{ ...key, signedIdentity: { type: 'exactReference', dockerReference: 'quay.io/app' } }] }, /dockerReference: "quay.io\/app" has neither a tag nor a digest/],
    [{ default: [{ ...key, signedIdentity: { type: 'exactRepository', dockerRepository: 'Not/Valid' } }] }, /dockerRepository: "Not\/Valid" is not a valid image reference/],
    [{ default: [{ ...key, signedIdentity: { type: 'remapIdentity', prefix: 'quay.io:1.0/x:tag', signedPrefix: 'q.io' } }] }, /signedIdentity\.prefix: prefix "quay.io:1.0\/x:tag" is not valid/],
    [{ default: [{ ...key, signedIdentity: { type: 'remapIdentity', prefix: 'quay.io' } }] }, /signedIdentity\.signedPrefix: .*expected string/],
    [{ default: [{ type: 'sigstoreSigned' }] }, /sigstoreSigned needs exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, pki/],
    [{ default: [{ type: 'sigstoreSigned', keyPath: '/k.pub', fulcio: {} }] }, /found keyPath and fulcio/],
    [{ default: [{ type: 'reject' }], transports: { docker: { 'quay.io/ns': [] } } }, /\$\.transports\.docker\["quay\.io\/ns"\]: a list of requirements must not be empty/],
    [{ default: [{ type: 'reject' }], transports: { docker: { 'quay.io/Org': [{ type: 'reject' }] } } }, /\$\.transports\.docker\["quay\.io\/Org"\]: invalid docker scope/],
    [{ default: [{ type: 'reject' }], transports: { dir: { 'relative/dir': [{ type: 'reject' }] } } }, /\$\.transports\.dir\["relative\/dir"\]: invalid dir scope: .*absolute/],
  ];
  for (const [policy, problem] of table) {
    assert.throws(
      () => parsePolicy(JSON.stringify(policy), '/etc/policy.json'),
      (error: unknown) => isFerryError(error, 'INVALID_CONFIG') && /\/etc\/policy\.json: /.test(error.message) && problem.test(error.message),
      JSON.stringify(policy),
    );
  }
  assert.throws(() => parsePolicy('{"default": [', 'p.json'), /p\.json: not valid JSON/);
});

test('a complete policy, as containers-policy.json(5) shows one, is accepted', () => {
  const policy = parsePolicy(
    JSON.stringify({
      default: [{ type: 'reject' }],
      transports: {
        docker: {
          'docker.io/library/busybox': [{ type: 'insecureAcceptAnything' }],
          '*.temporary-project.example.com': [{ type: 'insecureAcceptAnything' }],
          'hostname:5000/myns/official': [{ ...key, keyPaths: ['/a.gpg', '/b.gpg'], keyPath: undefined }],
          'hostname:5000/myns/sigstore': [{ type: 'sigstoreSigned', keyPath: '/k.pub', signedIdentity: { type: 'matchRepository' } }],
          'hostname:5000/mirror': [{ ...key, signedIdentity: { type: 'remapIdentity', prefix: 'hostname:5000/mirror', signedPrefix: 'quay.io' } }],
          'hostname:5000/keyless': [{ type: 'sigstoreSigned', fulcio: { caPath: '/ca.pem', oidcIssuer: 'https://x', subjectEmail: 'a@b' }, rekorPublicKeyPath: '/rekor.pub' }],
        },
        dir: { '': [{ type: 'insecureAcceptAnything' }] },
        'docker-daemon': { '': [{ type: 'insecureAcceptAnything' }] },
      },
    }),
    'policy.json',
  );
  assert.equal(Object.keys(policy.transports?.['docker'] ?? {}).length, 6);
});

test('json paths quote keys that are not identifiers', () => {
  assert.equal(jsonPath(['transports', 'docker', 'quay.io/ns', 0, 'keyPath']), '$.transports.docker["quay.io/ns"][0].keyPath');
  assert.equal(jsonPath(['transports', 'docker-archive']), '$.transports["docker-archive"]');
});

test('the policy is looked up as skopeo does, and a missing one accepts everything (said on the debug channel)', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'ferry-policy-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  const system = join(home, 'system-policy.json');
  const messages: string[] = [];
  const listen = (m: unknown): void => void messages.push(String(m));
  subscribe(signatureChannel.name, listen);
  t.after(() => unsubscribe(signatureChannel.name, listen));

  const none = await loadPolicy({ env: { HOME: home }, systemPath: system });
  assert.deepEqual([none.origin, none.policy], ['none', undefined]);
  assert.ok(messages.some((m) => /no signature policy .* every image is accepted/.test(m)), messages.join('\n'));

  await writeFile(system, JSON.stringify({ default: [{ type: 'reject' }] }));
  assert.equal((await loadPolicy({ env: { HOME: home }, systemPath: system })).path, system);
  await mkdir(join(home, '.config', 'containers'), { recursive: true });
  await writeFile(join(home, '.config', 'containers', 'policy.json'), JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  assert.equal((await loadPolicy({ env: { HOME: home }, systemPath: system })).path, join(home, '.config', 'containers', 'policy.json'));
  // --policy wins and must exist; --insecure-policy reads nothing at all.
  assert.equal((await loadPolicy({ path: system, env: { HOME: home } })).path, system);
  await assert.rejects(loadPolicy({ path: join(home, 'missing.json') }), /policy file .*missing\.json does not exist/);
  assert.equal((await loadPolicy({ insecure: true, path: join(home, 'missing.json') })).origin, 'insecure');
});
