import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestOf } from '../../oci/digest.ts';
import { parseReference } from '../../ref/reference.ts';
import { noSignatures } from '../signature-types.ts';
import { evaluatePolicy, requirementsFor } from './policy-evaluate.ts';
import { parsePolicy } from './policy-parse.ts';
import { PolicyKeys } from './policy-keys.ts';
import { dockerScopes } from './policy-scopes.ts';

const accept = [{ type: 'insecureAcceptAnything' }];
const reject = [{ type: 'reject' }];

test('only the most specific matching scope applies, then the transport default, then the global default', () => {
  const policy = parsePolicy(
    JSON.stringify({
      default: reject,
      transports: {
        docker: { 'quay.io/org/app:1.0': accept, 'quay.io/org': [{ type: 'reject' }, { type: 'insecureAcceptAnything' }], '*.example.com': accept, '': reject },
        oci: { '/srv': accept },
      },
    }),
    'p.json',
  );
  const scopeOf = (ref: string): string => requirementsFor(policy, { transport: 'docker', scopes: dockerScopes(parseReference(ref)) }).scope;
  assert.equal(scopeOf('quay.io/org/app:1.0'), 'docker scope "quay.io/org/app:1.0"');
  assert.equal(scopeOf('quay.io/org/app:2.0'), 'docker scope "quay.io/org"');
  assert.equal(scopeOf('quay.io/org/sub/app:2.0'), 'docker scope "quay.io/org"');
  assert.equal(scopeOf('registry.eu.example.com/app'), 'docker scope "*.example.com"');
  assert.equal(scopeOf('ghcr.io/app'), 'docker default ""');
  assert.equal(requirementsFor(policy, { transport: 'oci', scopes: ['/srv/store', '/srv'] }).scope, 'oci scope "/srv"');
  assert.equal(requirementsFor(policy, { transport: 'dir', scopes: ['/srv'] }).scope, 'default');
});

test('requirements are evaluated in order; the first refusal names its requirement', async () => {
  const keys = new PolicyKeys();
  const bytes = Buffer.from('{"schemaVersion":2}');
  const manifest = { bytes, mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(bytes) };
  let fetched = 0;
  const input = { name: { transport: 'docker', scopes: ['quay.io/app:1', 'quay.io/app', 'quay.io'] }, display: 'docker://quay.io/app:1', manifest, signatures: async () => (fetched++, noSignatures()) };
  const policy = (reqs: unknown[]) => ({ origin: 'file' as const, path: 'p.json', policy: parsePolicy(JSON.stringify({ default: reqs }), 'p.json') });

  assert.equal((await evaluatePolicy(policy(accept), keys, input)).allowed, true);
  const refused = await evaluatePolicy(policy([{ type: 'insecureAcceptAnything' }, { type: 'reject' }]), keys, input);
  assert.equal(refused.allowed, false);
  assert.match(refused.reason ?? '', /^requirement 2 of default, reject: every image in default is rejected/);
  const unsigned = await evaluatePolicy(policy([{ type: 'signedBy', keyType: 'GPGKeys', keyData: '' }]), keys, input);
  assert.match(unsigned.reason ?? '', /requirement 1 of default, signedBy .*: no simple signing \(GPG\) signature found/);
  assert.equal(fetched, 1, 'signatures are read only when a requirement needs them');
  const x509 = await evaluatePolicy(policy([{ type: 'signedBy', keyType: 'X509Certificates', keyPath: '/x' }]), keys, input);
  assert.match(x509.reason ?? '', /keyType X509Certificates is not supported yet/);
  assert.equal((await evaluatePolicy({ origin: 'none', policy: undefined }, keys, input)).allowed, true);
  await keys.dispose();
});
