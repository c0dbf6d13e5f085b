import { html, type Html } from '../html.ts';
import { formatCount } from '../ui-format.ts';

/** Previous / next links of a paged table (nothing when there is one page). */
export function pager(current: number, pages: number, href: (page: number) => string): Html {
  if (pages <= 1) return html``;
  return html`<nav class="pager" aria-label="Pages">
${current > 1 ? html`<a href="${href(current - 1)}" rel="prev">← Previous</a>` : ''}
<span>Page ${formatCount(current)} of ${formatCount(pages)}</span>
${current < pages ? html`<a href="${href(current + 1)}" rel="next">Next →</a>` : ''}
</nav>`;
}
