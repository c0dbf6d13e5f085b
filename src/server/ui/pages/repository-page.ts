import type { RepositoryListing } from '../../backend/registry-backend.ts';
import { html, type Html } from '../html.ts';
import { isAttachmentTag } from '../model/attachment-tags.ts';
import type { TagPage, TagRow, TagSort } from '../model/tag-rows.ts';
import type { PageContent } from '../page-shell.ts';
import { formatCount, shortDigest, sizeText, timeElement } from '../ui-format.ts';
import { imageHref, repositoryHref } from '../ui-paths.ts';
import { pager } from './pager.ts';
import { commandList, copyButton, pullCommands, type RegistryAddress } from './pull-commands.ts';
import { signatureCell } from './signature-cell.ts';

export interface RepositoryInput {
  name: string;
  repo: RepositoryListing;
  tags: TagPage;
  sort: TagSort;
  page: number;
  pageSize: number;
  address: RegistryAddress;
}

/** An attachment tag (`sha256-<64 hex>.sig`) shortened as digests are; the full tag is its title. */
function tagText(tag: string): string {
  return isAttachmentTag(tag) ? tag.replace(/^(sha256-[a-f0-9]{12})[a-f0-9]{52}/, '$1…') : tag;
}

const SORT_LABELS: Record<TagSort, string> = { semver: 'Version', date: 'Created', name: 'Name' };

/** Image, index or artifact (with its type). */
export function kindCell(kind: TagRow['kind'], artifactType: string | undefined): Html {
  const label = kind === 'unknown' ? 'unreadable' : kind;
  return html`<span class="chip${kind === 'unknown' ? ' bad' : ''}">${label}</span>${kind === 'artifact' && artifactType !== undefined ? html`<span class="sub wrap">${artifactType}</span>` : ''}`;
}

function row(input: RepositoryInput, r: TagRow): Html {
  const { digest } = r.descriptor;
  return html`<tr>
<th scope="row" class="wrap"><a href="${imageHref(input.name, digest)}"${isAttachmentTag(r.tag) ? html` title="${r.tag}"` : ''}>${tagText(r.tag)}</a>${r.problem !== undefined ? html`<span class="sub problem">${r.problem}</span>` : ''}</th>
<td class="nowrap"><code title="${digest}">${shortDigest(digest)}</code>${copyButton(digest, `Copy the digest of ${r.tag}`)}</td>
<td>${kindCell(r.kind, r.artifactType)}</td>
<td>${r.platforms.length > 0 ? r.platforms.map((p) => html`<span class="chip">${p}</span>`) : html`<span class="muted">—</span>`}</td>
<td class="num">${r.size === undefined ? html`<span class="muted">—</span>` : sizeText(r.size)}</td>
<td class="nowrap">${timeElement(r.created)}</td>
<td>${signatureCell(input.name, input.repo, r.signatures)}</td>
<td class="pull"><details class="popover"><summary>Pull</summary><div class="popover-body">${commandList(pullCommands(input.address, input.name, `:${r.tag}`))}</div></details></td>
</tr>`;
}

/** Repository: its tags in the chosen order, each with digest, type, platforms, size, date, signatures and pull commands. */
export function repositoryPage(input: RepositoryInput): PageContent {
  const { name, tags, sort, pageSize } = input;
  const pages = Math.max(1, Math.ceil(tags.total / pageSize));
  const sorts = (Object.keys(SORT_LABELS) as TagSort[]).map((s) => html`<a href="${repositoryHref(name, { sort: s })}" aria-current="${s === sort ? 'true' : 'false'}">${SORT_LABELS[s]}</a>`);
  return {
    title: name,
    section: 'repositories',
    crumbs: [{ label: 'Repositories', href: '/' }, { label: name }],
    body: html`<h1>${name}</h1>
<p class="muted">${formatCount(tags.total)} tag${tags.total === 1 ? '' : 's'}${input.repo.untagged.length > 0 ? `, ${formatCount(input.repo.untagged.length)} untagged manifest${input.repo.untagged.length === 1 ? '' : 's'} (referrers, signatures)` : ''}</p>
<nav class="sorts" aria-label="Sort tags"><span>Sort by</span>${sorts}</nav>
<div id="results">
<div class="table-wrap open"><table>
<caption>Tags of ${name}, by ${SORT_LABELS[sort].toLowerCase()}</caption>
<thead><tr><th scope="col">Tag</th><th scope="col">Digest</th><th scope="col">Type</th><th scope="col">Platforms</th><th scope="col" class="num">Size</th><th scope="col">Created</th><th scope="col">Signatures</th><th scope="col">Pull</th></tr></thead>
<tbody>${tags.rows.length > 0 ? tags.rows.map((r) => row(input, r)) : html`<tr><td colspan="8">No tags: this repository holds only untagged manifests.</td></tr>`}</tbody>
</table></div>
${pager(input.page, pages, (p) => repositoryHref(name, { sort, page: String(p) }))}
</div>`,
  };
}
