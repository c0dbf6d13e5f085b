import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { FerryError } from '../errors.ts';
import type { Descriptor } from './descriptor.ts';
import type { Digest } from './digest.ts';
import { verifyingStream } from './verify-stream.ts';

const chunks = [Buffer.from('first chunk, '), Buffer.from('second chunk, '), Buffer.from('last chunk')];
const all = Buffer.concat(chunks);
const digest = `sha256:${createHash('sha256').update(all).digest('hex')}` as Digest;
const good: Descriptor = { mediaType: 'application/octet-stream', digest, size: all.length };

/** Pipes chunks through the verifier; returns what reached the consumer and the error, if any. */
async function run(descriptor: Descriptor, input: Buffer[]): Promise<{ received: Buffer; error: unknown }> {
  const received: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      received.push(chunk);
      cb();
    },
  });
  let error: unknown;
  await pipeline(Readable.from(input), verifyingStream(descriptor, { where: 'test' }), sink).catch((e: unknown) => (error = e));
  return { received: Buffer.concat(received), error };
}

test('matching content passes through unchanged', async () => {
  const { received, error } = await run(good, chunks);
  assert.equal(error, undefined);
  assert.deepEqual(received, all);
});

test('a digest mismatch fails, and the consumer never gets the whole blob', async () => {
  const tampered = [chunks[0]!, Buffer.from('SECOND chunk, '), chunks[2]!];
  const { received, error } = await run(good, tampered);
  assert.ok(error instanceof FerryError && error.code === 'DIGEST_MISMATCH', String(error));
  assert.ok(received.length < all.length, `only ${received.length} of ${all.length} bytes may arrive`);
});

test('too many or too few bytes fail with SIZE_MISMATCH', async () => {
  const more = await run(good, [...chunks, Buffer.from('!')]);
  assert.ok(more.error instanceof FerryError && more.error.code === 'SIZE_MISMATCH', String(more.error));
  assert.ok(more.received.length <= all.length);
  const fewer = await run(good, chunks.slice(0, 2));
  assert.ok(fewer.error instanceof FerryError && fewer.error.code === 'SIZE_MISMATCH', String(fewer.error));
  assert.ok(fewer.received.length < all.length);
});
