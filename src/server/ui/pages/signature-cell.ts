import type { Descriptor } from '../../../oci/descriptor.ts';
import type { RepositoryListing } from '../../backend/registry-backend.ts';
import { html, type Html } from '../html.ts';
import type { AttachmentKind } from '../model/attachment-tags.ts';
import type { SignatureStatus } from '../model/tag-rows.ts';
import { imageHref } from '../ui-paths.ts';

const LABELS: Record<AttachmentKind, string> = { signature: 'cosign .sig', attestation: 'cosign .att', sbom: 'cosign .sbom', referrers: 'referrers tag' };

/** A referrer's kind for people: the last part of its artifact type. */
export function referrerLabel(referrer: Pick<Descriptor, 'artifactType' | 'mediaType'>): string {
  const type = referrer.artifactType ?? referrer.mediaType;
  if (/sig(?:nature|store)|cosign/i.test(type)) return 'signature';
  if (/spdx|cyclonedx|sbom/i.test(type)) return 'SBOM';
  if (/in-toto|attestation|provenance/i.test(type)) return 'attestation';
  return type.replace(/^application\//, '');
}

/**
 * What signs or describes an image: cosign attachment tags and referrers,
 * each linking to its own page, and the policy's verdict when `serve` was
 * given one; "none" when nothing is present.
 */
export function signatureCell(repository: string, repo: RepositoryListing, status: SignatureStatus): Html {
  const chips: Html[] = [];
  for (const { kind, tag } of status.tags) {
    const target = repo.tags.get(tag);
    chips.push(target ? html`<a class="chip" href="${imageHref(repository, target.digest)}">${LABELS[kind]}</a>` : html`<span class="chip">${LABELS[kind]}</span>`);
  }
  const counts = new Map<string, Descriptor[]>();
  for (const r of status.referrers) counts.set(referrerLabel(r), [...(counts.get(referrerLabel(r)) ?? []), r]);
  for (const [label, list] of counts) {
    chips.push(list.length === 1 ? html`<a class="chip" href="${imageHref(repository, list[0]!.digest)}">${label}</a>` : html`<span class="chip">${list.length} × ${label}</span>`);
  }
  if (chips.length === 0) return html`<span class="muted">none</span>`;
  const verdict = status.verdict;
  if (verdict) chips.push(verdict.verified ? html`<span class="chip ok" title="${verdict.reason ?? 'the policy accepts it'}">verified</span>` : html`<span class="chip bad" title="${verdict.reason ?? 'the policy rejects it'}">not verified</span>`);
  return html`${chips}`;
}
