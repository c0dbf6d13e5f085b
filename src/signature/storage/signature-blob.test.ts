import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSignatureBlob, encodeSigstoreSignature } from './signature-blob.ts';

test('stored signatures are told apart as containers/image writes them', () => {
  const openpgp = Buffer.from([0xa3, 0x01, 0x02]);
  assert.deepEqual(decodeSignatureBlob(openpgp), { kind: 'simple-signing', blob: openpgp });
  const sigstore = { mimeType: 'application/vnd.dev.cosign.simplesigning.v1+json', payload: Buffer.from('{}'), annotations: { 'dev.cosignproject.cosign/signature': 'MEUC' } };
  const encoded = encodeSigstoreSignature(sigstore);
  assert.equal(Buffer.from(encoded).subarray(0, 15).toString('latin1'), '\0sigstore-json\n');
  assert.deepEqual(decodeSignatureBlob(encoded), { kind: 'sigstore', signature: sigstore });
  assert.equal(decodeSignatureBlob(Buffer.from('\0simple-signing\nxyz')).kind, 'simple-signing');
  assert.match((decodeSignatureBlob(Buffer.from('\0x509\n...')) as { why: string }).why, /unsupported signature format "x509"/);
  assert.match((decodeSignatureBlob(Buffer.from('hello')) as { why: string }).why, /unrecognised/);
  assert.equal(decodeSignatureBlob(Buffer.alloc(0)).kind, 'unknown');
});
