import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arrivals, MAX_LISTED_ARRIVALS } from '../../mirror/bundle/bundle-history.ts';
import { escapeHtml, html, trusted } from './html.ts';
import { attachmentTags, isAttachmentTag } from './model/attachment-tags.ts';
import { pullCommands } from './pages/pull-commands.ts';
import { referrerLabel } from './pages/signature-cell.ts';
import { formatCount, shortDigest } from './ui-format.ts';
import { imageHref, isUiPath, matchUiRoute, repositoryHref } from './ui-paths.ts';

const D = `sha256:${'ab'.repeat(32)}` as const;

test('html escapes every interpolated value unless it is already markup', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  const name = '<script>x</script>';
  assert.equal(html`<td title="${name}">${name}</td>`.text, '<td title="&lt;script&gt;x&lt;/script&gt;">&lt;script&gt;x&lt;/script&gt;</td>');
  assert.equal(html`<p>${html`<b>${'&'}</b>`}</p>`.text, '<p><b>&amp;</b></p>');
  assert.equal(html`${[1, null, undefined, false, true, 'a', trusted('<br>')]}`.text, '1a<br>');
});

test('UI routes: names and digests follow their grammars; /v2/ belongs to the API', () => {
  const cases: Array<[string, unknown]> = [
    ['/', { page: 'home' }],
    ['/bundles', { page: 'bundles' }],
    ['/repo/library/nginx', { page: 'repository', name: 'library/nginx' }],
    ['/repo/Library/nginx', { page: 'unknown' }],
    [`/image/a/b@${D}`, { page: 'image', name: 'a/b', digest: D }],
    [`/image/a/b%40${D.replace(':', '%3A')}`, { page: 'image', name: 'a/b', digest: D }],
    ['/image/a/b@sha256:short', { page: 'unknown' }],
    ['/image/%E0%A4%A', { page: 'unknown' }],
    ['/-/assets/ui.css', { page: 'asset', file: 'ui.css' }],
    ['/favicon.ico', { page: 'asset', file: 'icon.svg' }],
    ['/elsewhere', { page: 'unknown' }],
  ];
  for (const [path, route] of cases) assert.deepEqual(matchUiRoute(path), route, path);
  assert.equal(isUiPath('/v2/'), false);
  assert.equal(isUiPath('/v2'), false);
  assert.equal(isUiPath('/v2x'), true);
  assert.equal(isUiPath('/sigstore/app@sha256=00/signature-1'), false);
  assert.equal(repositoryHref('a/b', { sort: 'date' }), '/repo/a/b?sort=date');
  assert.equal(imageHref('a/b', D), `/image/a/b@${D}`);
});

test('pull commands carry the TLS-off flag only over plain HTTP', () => {
  assert.deepEqual(pullCommands({ host: 'mirror:5000', tls: true }, 'ns/app', ':1.0'), [
    'skopeo copy --all docker://mirror:5000/ns/app:1.0 oci:./app:1.0',
    'ferry copy --all docker://mirror:5000/ns/app:1.0 oci:./app:1.0',
    'podman pull mirror:5000/ns/app:1.0',
  ]);
  assert.deepEqual(pullCommands({ host: '127.0.0.1:5000', tls: false }, 'app', `@${D}`), [
    `skopeo copy --all --src-tls-verify=false docker://127.0.0.1:5000/app@${D} oci:./app:image`,
    `ferry copy --all --src-tls-verify=false docker://127.0.0.1:5000/app@${D} oci:./app:image`,
    `podman pull --tls-verify=false 127.0.0.1:5000/app@${D}`,
  ]);
});

test('attachment tags, referrer kinds and number formats', () => {
  assert.deepEqual(attachmentTags(D).map((a) => a.tag), [`sha256-${'ab'.repeat(32)}.sig`, `sha256-${'ab'.repeat(32)}.att`, `sha256-${'ab'.repeat(32)}.sbom`, `sha256-${'ab'.repeat(32)}`]);
  assert.equal(isAttachmentTag(`sha256-${'ab'.repeat(32)}.sig`), true);
  assert.equal(isAttachmentTag('sha256-abc.sig'), false);
  assert.equal(isAttachmentTag('1.0'), false);
  assert.equal(referrerLabel({ mediaType: 'm', artifactType: 'application/spdx+json' }), 'SBOM');
  assert.equal(referrerLabel({ mediaType: 'm', artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }), 'signature');
  assert.equal(referrerLabel({ mediaType: 'm', artifactType: 'application/vnd.in-toto+json' }), 'attestation');
  assert.equal(referrerLabel({ mediaType: 'application/vnd.example.thing' }), 'vnd.example.thing');
  assert.equal(shortDigest(D), 'abababababab');
  assert.equal(formatCount(1234567), '1,234,567');
});

test('arrivals: what an import adds or moves, the first ones listed', () => {
  const before = new Map([['a:1', 'sha256:x'], ['a:2', 'sha256:y']]);
  assert.deepEqual(arrivals(before, [{ name: 'a:1', digest: 'sha256:x' }, { name: 'a:2', digest: 'sha256:z' }, { name: 'b:1', digest: 'sha256:w' }, { digest: 'sha256:u' }]), {
    count: 2,
    listed: [{ name: 'a:2', digest: 'sha256:z', previous: 'sha256:y' }, { name: 'b:1', digest: 'sha256:w' }],
  });
  const many = Array.from({ length: MAX_LISTED_ARRIVALS + 5 }, (_, i) => ({ name: `r:${i}`, digest: 'sha256:x' }));
  const capped = arrivals(new Map(), many);
  assert.equal(capped.count, MAX_LISTED_ARRIVALS + 5);
  assert.equal(capped.listed.length, MAX_LISTED_ARRIVALS);
});
