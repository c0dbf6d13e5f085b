import type { BundleImportRecord } from '../../backend/registry-backend.ts';
import { html, type Html } from '../html.ts';
import type { PageContent } from '../page-shell.ts';
import { formatCount, sizeText, timeElement } from '../ui-format.ts';
import { imageHref, repositoryHref } from '../ui-paths.ts';

/** An arrived `repo:tag` as links to its repository and its manifest. */
function arrivedItem(name: string, digest: string, previous: string | undefined): Html {
  const colon = name.lastIndexOf(':');
  const repository = colon > 0 ? name.slice(0, colon) : name;
  return html`<li><a href="${repositoryHref(repository)}">${repository}</a>${colon > 0 ? html`:<a href="${imageHref(repository, digest)}">${name.slice(colon + 1)}</a>` : ''}${previous !== undefined ? html` <span class="muted">(moved)</span>` : html` <span class="muted">(new)</span>`}</li>`;
}

function row(record: BundleImportRecord): Html {
  const arrived = record.arrived;
  return html`<tr>
<td class="nowrap">${timeElement(record.imported)}</td>
<th scope="row"><code>${record.id}</code><span class="sub">made ${timeElement(record.created)}</span>${record.from !== undefined ? html`<span class="sub wrap">from ${record.from}</span>` : ''}</th>
<td>${record.extends !== undefined ? html`<code>${record.extends}</code>` : html`<span class="muted">full bundle</span>`}</td>
<td class="num">${record.images === undefined ? html`<span class="muted">—</span>` : formatCount(record.images)}</td>
<td>${arrived === undefined ? html`<span class="muted">not recorded</span>` : arrived.count === 0 ? html`<span class="muted">nothing new</span>` : html`<details><summary>${formatCount(arrived.count)} image${arrived.count === 1 ? '' : 's'}</summary><ul>${arrived.listed.map((a) => arrivedItem(a.name, a.digest, a.previous))}</ul>${arrived.count > arrived.listed.length ? html`<p class="muted">and ${formatCount(arrived.count - arrived.listed.length)} more</p>` : ''}</details>`}</td>
<td class="num">${record.blobs === undefined ? html`<span class="muted">—</span>` : html`${formatCount(record.blobs.written)} new, ${formatCount(record.blobs.present)} present<span class="sub">${sizeText(record.blobs.bytes)} unpacked</span>`}</td>
</tr>`;
}

/** Bundles: every `ferry bundle import` into this store, newest first, with what it brought. */
export function bundlesPage(records: readonly BundleImportRecord[] | undefined): PageContent {
  let body: Html;
  if (records === undefined) {
    body = html`<p>This store keeps no record of bundle imports.</p>`;
  } else if (records.length === 0) {
    body = html`<p>No bundle has been imported into this store yet. Import one with:</p><pre>ferry bundle import BUNDLE_DIR STORE_DIR</pre>`;
  } else {
    const newest = [...records].reverse();
    body = html`<div class="table-wrap"><table>
<caption>${formatCount(records.length)} import${records.length === 1 ? '' : 's'}, newest first</caption>
<thead><tr><th scope="col">Imported</th><th scope="col">Bundle</th><th scope="col">Extends</th><th scope="col" class="num">Images</th><th scope="col">Arrived</th><th scope="col" class="num">Blobs</th></tr></thead>
<tbody>${newest.map(row)}</tbody>
</table></div>`;
  }
  return { title: 'Bundles', section: 'bundles', crumbs: [{ label: 'Repositories', href: '/' }, { label: 'Bundles' }], body: html`<h1>Bundle imports</h1>${body}` };
}
