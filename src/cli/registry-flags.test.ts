import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../test/helpers/tmp.ts';
import { FerryError } from '../errors.ts';
import { sideFlags } from './registry-flags.ts';

test('secrets from a file, then the environment; a flag or file wins; two of one kind is a usage error', async (t) => {
  const dir = await tempDir('ferry-side-flags', t);
  const file = join(dir, 'creds');
  await writeFile(file, 'user:from-file\r\nsecond line\n');
  assert.equal((await sideFlags({ srcCredsFile: file }, 'src-', { env: {} })).creds, 'user:from-file');
  assert.equal((await sideFlags({}, 'dest-', { env: { FERRY_DEST_CREDS: 'user:from-env' } })).creds, 'user:from-env');
  assert.equal((await sideFlags({}, '', { env: { FERRY_REGISTRY_TOKEN: 'tok' } })).registryToken, 'tok');
  assert.equal((await sideFlags({ destCreds: 'user:flag' }, 'dest-', { env: { FERRY_DEST_CREDS: 'user:from-env' } })).creds, 'user:flag');
  // --no-creds is a choice too: the environment does not override it.
  const anonymous = await sideFlags({ creds: false }, '', { env: { FERRY_CREDS: 'user:env' } });
  assert.deepEqual([anonymous.creds, anonymous.noCreds], [undefined, true]);
  await assert.rejects(sideFlags({ srcCreds: 'a:b', srcCredsFile: file }, 'src-', { env: {} }), (e: unknown) => e instanceof FerryError && e.code === 'USAGE');
  await assert.rejects(sideFlags({}, 'src-', { env: { FERRY_SRC_CREDS: 'a:b', FERRY_SRC_REGISTRY_TOKEN: 't' } }), (e: unknown) => e instanceof FerryError && e.code === 'USAGE');
  await assert.rejects(sideFlags({ srcCredsFile: dir }, 'src-', { env: {} }), (e: unknown) => e instanceof FerryError && e.code === 'IO' && /not a regular file/.test(e.message));
});
