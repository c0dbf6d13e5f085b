import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestOf } from '../../oci/digest.ts';
import { ATOMIC_SIGNATURE_TYPE, COSIGN_SIGNATURE_TYPE, buildPayload, digestMatches, parsePayload } from './payload.ts';

const D = `sha256:${'d'.repeat(64)}` as const;
const critical = (extra: Record<string, unknown> = {}) => ({ type: ATOMIC_SIGNATURE_TYPE, image: { 'docker-manifest-digest': D }, identity: { 'docker-reference': 'quay.io/app:1' }, ...extra });

test('payloads round-trip, and parsing is strict about what a signer claims', () => {
  const built = buildPayload(ATOMIC_SIGNATURE_TYPE, 'quay.io/app:1', D, 'ferry', 1_700_000_000);
  assert.deepEqual(parsePayload(built, ATOMIC_SIGNATURE_TYPE), { type: ATOMIC_SIGNATURE_TYPE, dockerReference: 'quay.io/app:1', manifestDigest: D, creator: 'ferry', timestamp: 1_700_000_000 });
  const table: Array<[payload: unknown, type: string, problem: RegExp | undefined]> = [
    [{ critical: critical(), optional: {} }, ATOMIC_SIGNATURE_TYPE, undefined],
    // Unknown optional fields are fine; unknown critical ones are not.
    [{ critical: critical(), optional: { annotation: 'x' } }, ATOMIC_SIGNATURE_TYPE, undefined],
    [{ critical: critical({ extra: 1 }), optional: {} }, ATOMIC_SIGNATURE_TYPE, /critical must hold exactly/],
    [{ critical: critical(), optional: {}, more: 1 }, ATOMIC_SIGNATURE_TYPE, /the payload must hold exactly/],
    [{ critical: critical() }, ATOMIC_SIGNATURE_TYPE, /the payload must hold exactly critical, optional/],
    [{ critical: critical(), optional: null }, ATOMIC_SIGNATURE_TYPE, /optional is not a JSON object/],
    // cosign writes "optional": null.
    [{ critical: critical({ type: COSIGN_SIGNATURE_TYPE }), optional: null }, COSIGN_SIGNATURE_TYPE, undefined],
    [{ critical: critical(), optional: {} }, COSIGN_SIGNATURE_TYPE, /unexpected signature type "atomic container signature"/],
    [{ critical: critical({ image: { 'docker-manifest-digest': D, x: 1 } }), optional: {} }, ATOMIC_SIGNATURE_TYPE, /critical\.image must hold exactly/],
    [{ critical: critical({ identity: { 'docker-reference': 7 } }), optional: {} }, ATOMIC_SIGNATURE_TYPE, /docker-reference is not a string/],
    [{ critical: critical(), optional: { timestamp: 1.5 } }, ATOMIC_SIGNATURE_TYPE, /timestamp is not an integer/],
    ['a string', ATOMIC_SIGNATURE_TYPE, /not a JSON object/],
  ];
  for (const [payload, type, problem] of table) {
    const parsed = parsePayload(Buffer.from(JSON.stringify(payload)), type);
    if (problem === undefined) assert.ok(!('invalid' in parsed), JSON.stringify(payload));
    else assert.match('invalid' in parsed ? parsed.invalid : '', problem, JSON.stringify(payload));
  }
  assert.match((parsePayload(Buffer.from('{'), ATOMIC_SIGNATURE_TYPE) as { invalid: string }).invalid, /not JSON/);
});

test('a signed digest matches the manifest bytes in its own algorithm only', () => {
  const manifest = Buffer.from('{"schemaVersion":2}');
  assert.equal(digestMatches(digestOf(manifest), manifest), true);
  assert.equal(digestMatches(digestOf(manifest, 'sha512'), manifest), true);
  assert.equal(digestMatches(D, manifest), false);
  assert.equal(digestMatches('md5:abc', manifest), false);
  assert.equal(digestMatches('not a digest', manifest), false);
});
