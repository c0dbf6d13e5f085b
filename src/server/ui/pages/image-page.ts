import { ANNOTATION_CREATED, type Descriptor } from '../../../oci/descriptor.ts';
import { formatPlatform, type ParsedManifest } from '../../../oci/manifest.ts';
import { html, type Html, type HtmlValue } from '../html.ts';
import type { AttachmentKind } from '../model/attachment-tags.ts';
import type { ImageConfig } from '../model/image-config.ts';
import type { ManifestKind } from '../model/manifest-facts.ts';
import type { PageContent } from '../page-shell.ts';
import type { SignatureVerdict } from '../signature-verifier.ts';
import { formatBytes, formatCount, shortDigest, sizeText, timeElement } from '../ui-format.ts';
import { imageHref, repositoryHref } from '../ui-paths.ts';
import { kindCell } from './repository-page.ts';
import { commandList, copyButton, pullCommands, type RegistryAddress } from './pull-commands.ts';
import { referrerLabel } from './signature-cell.ts';

export interface ImageInput {
  name: string;
  descriptor: Descriptor;
  bytes: Uint8Array;
  parsed: ParsedManifest;
  kind: ManifestKind;
  artifactType?: string | undefined;
  /** Unique bytes of the manifest and everything it references (an index's manifests and theirs). */
  totalSize?: number | undefined;
  /** Tags of the repository that name this manifest. */
  tags: string[];
  /** `io.ferry.source` of the store entry: where the image was mirrored from. */
  source?: string | undefined;
  /** The config of an image: parsed, its bytes, or why it could not be shown. */
  config?: { config?: ImageConfig | undefined; bytes?: Buffer | undefined; problem?: string | undefined } | undefined;
  referrers: Descriptor[];
  attachments: Array<{ kind: AttachmentKind; tag: string; digest: string }>;
  verdict?: SignatureVerdict | undefined;
  address: RegistryAddress;
}

function facts(rows: Array<[string, HtmlValue]>): Html {
  const shown = rows.filter(([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0));
  return html`<dl class="facts">${shown.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

function table(caption: string, headers: string[], rows: Html[], numeric: number[] = []): Html {
  return html`<div class="table-wrap"><table><caption>${caption}</caption>
<thead><tr>${headers.map((h, i) => html`<th scope="col"${numeric.includes(i) ? html` class="num"` : ''}>${h}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

function keyValues(caption: string, entries: Array<[string, string]>): Html {
  return table(caption, ['Name', 'Value'], entries.map(([k, v]) => html`<tr><th scope="row" class="wrap">${k}</th><td class="wrap"><code>${v}</code></td></tr>`));
}

function digestLink(name: string, digest: string): Html {
  return html`<a href="${imageHref(name, digest)}"><code title="${digest}">${shortDigest(digest)}</code></a>`;
}

function pretty(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function imageSections(input: ImageInput, layers: readonly Descriptor[]): Html {
  const c = input.config?.config;
  const cfg = c?.config;
  const env = (cfg?.Env ?? []).map((e): [string, string] => {
    const eq = e.indexOf('=');
    return eq < 0 ? [e, ''] : [e.slice(0, eq), e.slice(eq + 1)];
  });
  const labels = Object.entries(cfg?.Labels ?? {});
  const history = c?.history ?? [];
  const total = layers.reduce((sum, l) => sum + l.size, 0);
  return html`<h2 id="layers">Layers</h2>
${table(`${formatCount(layers.length)} layer${layers.length === 1 ? '' : 's'}, ${formatBytes(total)} in all`, ['#', 'Media type', 'Size', 'Digest'], layers.map((l, i) => html`<tr><td class="num">${i + 1}</td><td class="wrap">${l.mediaType}</td><td class="num">${sizeText(l.size)}</td><td class="nowrap"><code title="${l.digest}">${shortDigest(l.digest)}</code>${copyButton(l.digest, `Copy the digest of layer ${i + 1}`)}</td></tr>`), [0, 2])}
${input.config?.problem !== undefined ? html`<p class="problem">Configuration: ${input.config.problem}</p>` : ''}
${c ? html`<h2 id="config">Configuration</h2>
${facts([
  ['Platform', c.os !== undefined && c.architecture !== undefined ? formatPlatform({ os: c.os, architecture: c.architecture, variant: c.variant }) : undefined],
  ['Created', c.created !== undefined ? timeElement(c.created) : undefined],
  ['Author', c.author],
  ['Entrypoint', cfg?.Entrypoint ? html`<code>${JSON.stringify(cfg.Entrypoint)}</code>` : undefined],
  ['Command', cfg?.Cmd ? html`<code>${JSON.stringify(cfg.Cmd)}</code>` : undefined],
  ['Working directory', cfg?.WorkingDir ? html`<code>${cfg.WorkingDir}</code>` : undefined],
  ['User', cfg?.User ? html`<code>${cfg.User}</code>` : undefined],
  ['Exposed ports', Object.keys(cfg?.ExposedPorts ?? {}).join(', ')],
  ['Volumes', Object.keys(cfg?.Volumes ?? {}).join(', ')],
  ['Stop signal', cfg?.StopSignal],
])}
${env.length > 0 ? html`<h2 id="env">Environment</h2>${keyValues(`${env.length} variable${env.length === 1 ? '' : 's'}`, env)}` : ''}
${labels.length > 0 ? html`<h2 id="labels">Labels</h2>${keyValues(`${labels.length} label${labels.length === 1 ? '' : 's'}`, labels)}` : ''}
${history.length > 0 ? html`<h2 id="history">History</h2>${table(`${history.length} step${history.length === 1 ? '' : 's'}, oldest first`, ['Created', 'Step', 'Layer'], history.map((h) => html`<tr><td class="nowrap">${timeElement(h.created)}</td><td class="wrap"><code>${h.created_by ?? ''}</code>${h.comment ? html`<span class="sub">${h.comment}</span>` : ''}</td><td>${h.empty_layer ? html`<span class="muted">none</span>` : 'yes'}</td></tr>`))}` : ''}` : ''}`;
}

function referrerSection(input: ImageInput): Html {
  const rows = [
    ...input.attachments.map((a) => html`<tr><td>${a.kind} (tag <code>${a.tag}</code>)</td><td>${digestLink(input.name, a.digest)}</td><td class="muted">—</td><td class="muted">—</td></tr>`),
    ...input.referrers.map((r) => html`<tr><td>${referrerLabel(r)}<span class="sub wrap">${r.artifactType ?? r.mediaType}</span></td><td>${digestLink(input.name, r.digest)}</td><td class="num">${sizeText(r.size)}</td><td class="nowrap">${timeElement(r.annotations?.[ANNOTATION_CREATED])}</td></tr>`),
  ];
  const verdict = input.verdict;
  return html`<h2 id="referrers">Signatures, SBOMs and attestations</h2>
${verdict ? html`<p><span class="chip ${verdict.verified ? 'ok' : 'bad'}">${verdict.verified ? 'verified' : 'not verified'}</span> ${verdict.reason ?? ''}</p>` : ''}
${rows.length === 0 ? html`<p class="muted">Nothing refers to this manifest.</p>` : table(`${rows.length} referrer${rows.length === 1 ? '' : 's'} and attachment${rows.length === 1 ? '' : 's'}`, ['Kind', 'Digest', 'Size', 'Created'], rows, [2])}`;
}

/** Image: manifest and config as tables, an index's manifests, the referrers, and the raw JSON behind toggles. */
export function imagePage(input: ImageInput): PageContent {
  const { name, descriptor, parsed } = input;
  const subject = parsed.kind === 'index' ? parsed.index.subject : parsed.manifest.subject;
  const annotations = Object.entries((parsed.kind === 'index' ? parsed.index.annotations : parsed.manifest.annotations) ?? {});
  const layers = parsed.kind === 'image' ? parsed.manifest.layers : [];
  const reference = input.tags.length > 0 ? `:${input.tags[0]}` : `@${descriptor.digest}`;
  const title = `${name}${input.tags.length > 0 ? `:${input.tags[0]}` : `@${shortDigest(descriptor.digest)}`}`;
  return {
    title,
    section: 'repositories',
    crumbs: [{ label: 'Repositories', href: '/' }, { label: name, href: repositoryHref(name) }, { label: input.tags[0] ?? shortDigest(descriptor.digest) }],
    body: html`<h1>${title}</h1>
${facts([
  ['Digest', html`<code class="wrap">${descriptor.digest}</code>${copyButton(descriptor.digest, 'Copy the digest')}`],
  ['Type', kindCell(input.kind, input.artifactType)],
  ['Media type', html`<code>${descriptor.mediaType}</code>`],
  ['Manifest size', sizeText(descriptor.size)],
  ['Total size', input.totalSize !== undefined ? html`${sizeText(input.totalSize)} <span class="muted">(manifests, configs and layers, each counted once)</span>` : undefined],
  ['Tags', input.tags.length > 0 ? input.tags.map((t) => html`<span class="chip">${t}</span>`) : html`<span class="muted">none (stored by digest)</span>`],
  ['Source', input.source !== undefined ? html`<code>${input.source}</code>` : undefined],
  ['Refers to', subject ? html`${digestLink(name, subject.digest)} <span class="muted">(this manifest is a referrer of that one)</span>` : undefined],
])}
<h2 id="pull">Pull</h2>
${commandList(pullCommands(input.address, name, reference))}
${parsed.kind === 'index' ? html`<h2 id="manifests">Manifests</h2>
${table(`${parsed.index.manifests.length} manifest${parsed.index.manifests.length === 1 ? '' : 's'}`, ['Platform', 'Digest', 'Media type', 'Size'], parsed.index.manifests.map((m) => html`<tr><td><span class="chip">${formatPlatform(m.platform)}</span></td><td>${digestLink(name, m.digest)}</td><td class="wrap">${m.artifactType ?? m.mediaType}</td><td class="num">${sizeText(m.size)}</td></tr>`), [3])}` : imageSections(input, layers)}
${annotations.length > 0 ? html`<h2 id="annotations">Annotations</h2>${keyValues(`${annotations.length} annotation${annotations.length === 1 ? '' : 's'}`, annotations)}` : ''}
${referrerSection(input)}
<h2 id="raw">Raw JSON</h2>
<details class="raw"><summary>Manifest (${formatCount(input.bytes.byteLength)} bytes, shown indented)</summary><pre>${pretty(input.bytes)}</pre></details>
${input.config?.bytes ? html`<details class="raw"><summary>Configuration (${formatCount(input.config.bytes.byteLength)} bytes, shown indented)</summary><pre>${pretty(input.config.bytes)}</pre></details>` : ''}`,
  };
}
