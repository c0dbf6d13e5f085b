import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tagsOf } from './image-engine.ts';

test('tagsOf picks one repository\'s tags from an engine\'s image list, names compared normalised', () => {
  const listed = [
    { names: ['app:1', 'docker.io/library/app:latest', 'other:1'], created: 1_700_000_000 },
    { names: ['localhost/app:2', 'docker.io/library/app:0.9'], created: 1_600_000_000 },
    { names: ['<none>:<none>', 'app@sha256:' + 'a'.repeat(64)] },
    { names: ['docker.io/library/app:nodate'] },
  ];
  const tags = tagsOf(listed, { registry: 'docker.io', repository: 'library/app' });
  assert.deepEqual([...tags.keys()], ['0.9', '1', 'latest', 'nodate']);
  assert.equal(tags.get('1')?.toISOString(), '2023-11-14T22:13:20.000Z');
  assert.equal(tags.get('0.9')?.getTime(), 1_600_000_000_000);
  assert.equal(tags.get('nodate'), undefined);
  assert.deepEqual([...tagsOf(listed, { registry: 'localhost', repository: 'app' }).keys()], ['2']);
});
