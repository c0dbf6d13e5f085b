import type { BundleImportRecord } from '../../backend/registry-backend.ts';
import type { StoreView } from '../model/store-view.ts';
import { html, type Html } from '../html.ts';
import type { PageContent } from '../page-shell.ts';
import { formatCount, sizeText, timeElement } from '../ui-format.ts';
import { repositoryHref } from '../ui-paths.ts';
import { pager } from './pager.ts';

export interface HomeInput {
  view: StoreView;
  /** The filter typed by the user ('' for none). */
  filter: string;
  /** 1-based page of the repository table. */
  page: number;
  pageSize: number;
  /** The newest bundle import, when the store keeps a record. */
  lastImport: BundleImportRecord | undefined;
  /** Whether the store keeps a record of bundle imports at all. */
  keepsImports: boolean;
  /** `host:port` for the example command of an empty store. */
  registry: string;
}

function lastBundle(input: HomeInput): Html {
  if (!input.keepsImports) return html`<span class="muted">not recorded</span>`;
  const last = input.lastImport;
  if (!last) return html`<span class="muted">none yet</span>`;
  return html`<a href="/bundles" title="bundle ${last.id}">${last.id.slice(0, 13)}</a><small>imported ${timeElement(last.imported)}</small>`;
}

function summary(input: HomeInput): Html {
  const totals = input.view.totals();
  const { read, total } = input.view.progress;
  const unique = totals.uniqueBytes === undefined ? html`<span class="muted">counting…</span><small>${formatCount(read)} of ${formatCount(total)} manifests read</small>` : sizeText(totals.uniqueBytes);
  return html`<section id="summary" aria-label="Store summary"><dl class="stats">
<div><dt>Repositories</dt><dd>${formatCount(totals.repositories)}</dd></div>
<div><dt>Tags</dt><dd>${formatCount(totals.tags)}</dd></div>
<div><dt>Images</dt><dd>${formatCount(totals.images)}</dd></div>
<div><dt>Unique bytes</dt><dd>${unique}</dd></div>
<div><dt>Last bundle imported</dt><dd>${lastBundle(input)}</dd></div>
</dl></section>`;
}

function results(input: HomeInput): Html {
  const { view, filter, page, pageSize } = input;
  const all = view.summaries(filter);
  const pages = Math.max(1, Math.ceil(all.length / pageSize));
  const current = Math.min(page, pages);
  const rows = all.slice((current - 1) * pageSize, current * pageSize);
  const pending = view.complete ? '' : html`<p class="notice" data-pending role="status">Sizes and dates are still being counted (${formatCount(view.progress.read)} of ${formatCount(view.progress.total)} manifests read); <a href="">reload</a> to see more.</p>`;
  if (view.listing.repositories.size === 0) {
    return html`<div id="results"><p>This store holds no images yet. Push one, for example:</p><pre>skopeo copy docker://docker.io/library/alpine:latest docker://${input.registry}/library/alpine:latest</pre></div>`;
  }
  const caption = filter === '' ? `${formatCount(all.length)} repositories` : `${formatCount(all.length)} of ${formatCount(view.listing.repositories.size)} repositories match “${filter}”`;
  const body = rows.map((r) => html`<tr>
<th scope="row"><a href="${repositoryHref(r.name)}">${r.name}</a>${r.problems > 0 ? html`<span class="sub problem">${r.problems} unreadable manifest${r.problems > 1 ? 's' : ''}</span>` : ''}</th>
<td class="num">${formatCount(r.tags)}</td>
<td class="num">${sizeText(r.size)}</td>
<td class="nowrap">${r.size === undefined && r.lastChange === undefined ? html`<span class="muted">…</span>` : timeElement(r.lastChange)}</td>
</tr>`);
  const query = (p: number): string => `/?${new URLSearchParams({ ...(filter !== '' ? { q: filter } : {}), page: String(p) }).toString()}`;
  return html`<div id="results">${pending}
<div class="table-wrap"><table>
<caption>${caption}</caption>
<thead><tr><th scope="col">Repository</th><th scope="col" class="num">Tags</th><th scope="col" class="num">Size</th><th scope="col">Last change</th></tr></thead>
<tbody>${body.length > 0 ? body : html`<tr><td colspan="4">No repository matches.</td></tr>`}</tbody>
</table></div>
${pager(current, pages, query)}
</div>`;
}

/** Home: the store in figures, then every repository with its tag count, size and last change, filterable. */
export function homePage(input: HomeInput): PageContent {
  return {
    title: 'Repositories',
    section: 'repositories',
    body: html`<h1>Repositories</h1>
${summary(input)}
<form class="filter" role="search" method="get" action="/" data-live>
<label for="filter">Filter repositories</label>
<input type="search" id="filter" name="q" value="${input.filter}" maxlength="255" autocomplete="off" spellcheck="false" aria-describedby="filter-help">
<button type="submit">Filter</button>
<span id="filter-help" class="muted">names containing the text; press <kbd>/</kbd> to jump here</span>
</form>
${results(input)}`,
  };
}
