import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseReference } from '../../ref/reference.ts';
import { lookasideBase, loadRegistriesD, useSigstoreAttachments } from './registries-d.ts';
import { lookasideUrl } from './lookaside.ts';

async function registriesD(t: { after: (fn: () => Promise<void>) => void }, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-registries-d-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

test('the lookaside comes from the most specific namespace that names one; staging is for writing', async (t) => {
  const dir = await registriesD(t, {
    'default.yaml': 'default-docker:\n  lookaside: https://sigs.example.com/default\n',
    'quay.yaml': [
      'docker:',
      '  quay.io:',
      '    lookaside: https://sigs.example.com/quay',
      '    lookaside-staging: file:///srv/staging',
      '  quay.io/org/app:',
      '    use-sigstore-attachments: false',
      '  quay.io/legacy:',
      '    sigstore: https://old.example.com/sigstore',
      '    sigstore-staging: file:///srv/old',
      '  "*.internal":',
      '    lookaside: file:///srv/internal',
      '',
    ].join('\n'),
    'ignored.txt': 'not: [yaml',
  });
  const config = await loadRegistriesD({ dir });
  const base = (ref: string, write = false): string => lookasideBase(config, parseReference(ref), write).url.href;
  // quay.io/org/app names no URL, so the search goes on to quay.io; the repository path (without host) is appended.
  assert.equal(base('quay.io/org/app:1'), 'https://sigs.example.com/quay/org/app');
  assert.equal(base('quay.io/org/app:1', true), 'file:///srv/staging/org/app');
  assert.equal(base('quay.io/legacy/tool:2'), 'https://old.example.com/sigstore/legacy/tool');
  assert.equal(base('quay.io/legacy/tool:2', true), 'file:///srv/old/legacy/tool');
  assert.equal(base('registry.eu.internal/team/x:1'), 'file:///srv/internal/team/x');
  assert.equal(base('ghcr.io/a/b:1'), 'https://sigs.example.com/default/a/b');
  assert.equal(useSigstoreAttachments(config, parseReference('quay.io/org/app:1')), false);
  assert.equal(useSigstoreAttachments(config, parseReference('quay.io/org/other:1')), true);
  const digest = `sha256:${'c'.repeat(64)}` as const;
  assert.equal(lookasideUrl(new URL(base('quay.io/org/app:1')), digest, 2).href, `https://sigs.example.com/quay/org/app@sha256=${'c'.repeat(64)}/signature-2`);
});

test('without configuration the built-in directory is used; conflicting or malformed files are refused', async (t) => {
  const empty = await registriesD(t, {});
  const home = await mkdtemp(join(tmpdir(), 'ferry-home-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  const url = lookasideBase(await loadRegistriesD({ dir: empty, env: { HOME: home } }), parseReference('quay.io/a/b:1'), true).url.href;
  const expected = process.geteuid?.() === 0 ? 'file:///var/lib/containers/sigstore/a/b' : `file://${home}/.local/share/containers/sigstore/a/b`;
  assert.equal(url, expected);

  const twice = await registriesD(t, { 'a.yaml': 'docker:\n  quay.io:\n    lookaside: file:///a\n', 'b.yaml': 'docker:\n  quay.io:\n    lookaside: file:///b\n' });
  await assert.rejects(loadRegistriesD({ dir: twice }), /docker namespace "quay.io" is defined both in .*a\.yaml and .*b\.yaml/);
  const bad = await registriesD(t, { 'bad.yaml': 'docker:\n  quay.io:\n    use-sigstore-attachments: "yes please"\n' });
  await assert.rejects(loadRegistriesD({ dir: bad }), /bad\.yaml: \$\.docker\["quay\.io"\]\["use-sigstore-attachments"\]: .*expected boolean/);
  await assert.rejects(loadRegistriesD({ dir: join(empty, 'missing') }), /cannot read registries\.d directory/);
});
