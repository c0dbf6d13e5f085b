import { formatBytes } from '../../util/size.ts';
import { html, type Html } from './html.ts';

export { formatBytes };

/** The first 12 hex digits of a digest, as `docker images` shows them. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  return digest.slice(colon + 1, colon + 13);
}

/** A date as a `<time>` element: readable UTC text, machine-readable attribute. */
export function timeElement(value: string | Date | undefined): Html {
  if (value === undefined) return html`<span class="muted">—</span>`;
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return html`<span>${String(value)}</span>`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/** A number with thousands separators that do not depend on the server's locale. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A byte count, or a dash while it is unknown. */
export function sizeText(bytes: number | undefined): Html {
  return bytes === undefined ? html`<span class="muted">…</span>` : html`<span title="${formatCount(bytes)} bytes">${formatBytes(bytes)}</span>`;
}
