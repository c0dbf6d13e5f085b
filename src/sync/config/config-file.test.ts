import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError } from '../../errors.ts';
import { detectSyncConfigFormat } from './config-file.ts';

test('--config files are told apart by their top-level keys', () => {
  assert.equal(detectSyncConfigFormat('registries: {}\nsync: []\n', 'f.yaml'), 'ferry');
  // A misspelt top-level key beside a ferry key is still ferry's, whose reader names the typo.
  assert.equal(detectSyncConfigFormat('sync: []\nregistrys: {}\n', 'f.yaml'), 'ferry');
  assert.equal(detectSyncConfigFormat('{"auth": {}, "images": {"quay.io/a/b": ""}}', 'c.json'), 'image-syncer');
  assert.equal(detectSyncConfigFormat('images:\n  quay.io/a/b: r.example/c/b\n', 'c.yaml'), 'image-syncer');
  // A broken document goes to ferry's reader, which reports the YAML error with its line.
  assert.equal(detectSyncConfigFormat('sync: [unclosed\n', 'b.yaml'), 'ferry');
});

test('a file of neither format is an error that names both', () => {
  for (const text of ['', 'auth: {}\n', 'quay.io/a/b: r.example/c/b\n', '- a\n- b\n']) {
    assert.throws(
      () => detectSyncConfigFormat(text, 'x.yaml'),
      (e: unknown) => e instanceof FerryError && e.code === 'INVALID_CONFIG' && /x\.yaml: neither a ferry sync YAML nor an image-syncer config/.test(e.message) && /--images/.test(e.hint ?? ''),
      JSON.stringify(text),
    );
  }
});
