import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { test } from 'node:test';
import { isFerryError } from '../../errors.ts';
import { COSIGN_SIGNATURE_TYPE, buildPayload } from '../simple-signing/payload.ts';
import { decryptCosignKey, generateCosignKeyPair, pemBody } from './cosign-key.ts';
import { parsePublicKeys, signSigstore, verifySigstore } from './sigstore-signature.ts';

const passphrase = Buffer.from('correct horse');

test('a generated key pair decrypts with its passphrase, signs, and verifies with its public key', async () => {
  const { privateKeyPem, publicKeyPem } = await generateCosignKeyPair(passphrase);
  assert.match(privateKeyPem, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
  const key = await decryptCosignKey(privateKeyPem, passphrase, 'cosign.key');
  assert.equal(createPublicKey(key).export({ format: 'pem', type: 'spki' }), publicKeyPem);
  const payload = buildPayload(COSIGN_SIGNATURE_TYPE, 'quay.io/app:1', `sha256:${'e'.repeat(64)}`, 'ferry', 1);
  const sig = signSigstore(payload, key);
  const [pub] = parsePublicKeys(Buffer.from(publicKeyPem), 'cosign.pub');
  assert.deepEqual(verifySigstore(sig, [pub!]), { ok: true, key: 0 });
  assert.ok(verify('sha256', payload, pub!, Buffer.from(sig.annotations['dev.cosignproject.cosign/signature']!, 'base64')));
  const altered = { ...sig, payload: Buffer.concat([payload, Buffer.from(' ')]) };
  assert.equal(verifySigstore(altered, [pub!]).ok, false);
});

test('a wrong passphrase, a foreign PEM block and tampered scrypt parameters are refused', async () => {
  const { privateKeyPem } = await generateCosignKeyPair(passphrase);
  await assert.rejects(decryptCosignKey(privateKeyPem, Buffer.from('wrong'), 'k'), (e: unknown) => isFerryError(e, 'INVALID_CONFIG') && /wrong passphrase/.test(e.message));
  await assert.rejects(decryptCosignKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', passphrase, 'k'), /not a cosign private key/);
  const body = JSON.parse(pemBody(privateKeyPem, ['ENCRYPTED SIGSTORE PRIVATE KEY'])!.body.toString()) as { kdf: { params: { N: number } } };
  body.kdf.params.N = 1 << 24;
  const tampered = `-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n${Buffer.from(JSON.stringify(body)).toString('base64')}\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n`;
  await assert.rejects(decryptCosignKey(tampered, passphrase, 'k'), /unsupported scrypt parameters N=16777216/);
});
