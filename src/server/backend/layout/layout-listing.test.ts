import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ANNOTATION_REF_NAME, type Descriptor } from '../../../oci/descriptor.ts';
import { ANNOTATION_REPOSITORY } from '../../../transports/layout/layout-names.ts';
import { buildLayoutListing } from './layout-listing.ts';

test('the layout listing groups entries per repository; the last entry of a duplicate tag wins; bare names are left out', () => {
  const entry = (digest: string, annotations: Record<string, string>): Descriptor => ({ mediaType: 'm', digest: `sha256:${digest.repeat(64)}` as Descriptor['digest'], size: 1, annotations });
  const listing = buildLayoutListing([
    entry('1', { [ANNOTATION_REF_NAME]: 'b/app:2' }),
    entry('2', { [ANNOTATION_REF_NAME]: 'a:1' }),
    entry('3', { [ANNOTATION_REF_NAME]: 'b/app:1' }),
    entry('4', { [ANNOTATION_REPOSITORY]: 'b/app' }),
    entry('5', { [ANNOTATION_REF_NAME]: 'b/app:1' }),
    entry('6', { [ANNOTATION_REF_NAME]: 'bare' }),
    entry('7', {}),
  ], 'g1');
  assert.equal(listing.generation, 'g1');
  assert.deepEqual([...listing.repositories.keys()], ['a', 'b/app']);
  const app = listing.repositories.get('b/app')!;
  assert.deepEqual([...app.tags.keys()], ['1', '2']);
  assert.equal(app.tags.get('1')!.digest, `sha256:${'5'.repeat(64)}`);
  assert.deepEqual(app.untagged.map((d) => d.digest), [`sha256:${'4'.repeat(64)}`]);
  assert.equal(listing.entries.get('b/app')!.length, 4);
});
