import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { withDiffId } from './layer-content.ts';

const content = Buffer.concat(Array.from({ length: 64 }, (_, i) => Buffer.alloc(4096, i)));
const diffId = `sha256:${createHash('sha256').update(content).digest('hex')}`;

async function drain(data: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of data) out.push(chunk);
  return Buffer.concat(out);
}

function chunked(bytes: Buffer, size = 1000): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

test('withDiffId passes a layer through unchanged and hashes its uncompressed content (plain, gzip, zstd)', async () => {
  for (const stored of [content, gzipSync(content), zstdCompressSync(content)]) {
    const { data, diffId: id } = withDiffId((async function* () {
      yield* chunked(stored);
    })());
    assert.deepEqual(await drain(data), stored);
    assert.equal(await id(), diffId);
  }
});

test('withDiffId fails a layer that does not decompress, and passes on the source\'s own failure', async () => {
  const torn = gzipSync(content).subarray(0, 3000);
  const broken = Buffer.concat([torn, Buffer.alloc(5000, 0xee)]);
  const bad = withDiffId((async function* () {
    yield* chunked(broken);
  })());
  await assert.rejects(drain(bad.data));
  const failing = withDiffId((async function* () {
    yield content.subarray(0, 100);
    throw new Error('source down');
  })());
  await assert.rejects(drain(failing.data), /source down/);
  await assert.rejects(failing.diffId());
});
