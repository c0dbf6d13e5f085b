import { html, type Html, type HtmlValue } from './html.ts';
import type { UiAssets } from './ui-assets.ts';

/** What every page shares: the assets to link and the server's mode. */
export interface ShellContext {
  assets: UiAssets;
  readOnly: boolean;
}

export interface Crumb {
  label: string;
  href?: string | undefined;
}

export interface PageContent {
  title: string;
  /** Which main-menu entry is current. */
  section: 'repositories' | 'bundles' | 'none';
  /** The path from Home to this page; the last crumb is the page itself. */
  crumbs?: Crumb[] | undefined;
  body: HtmlValue;
}

function href(assets: UiAssets, file: string): string {
  return assets.get(file)?.href ?? '';
}

function menuItem(label: string, target: string, current: boolean): Html {
  return html`<li><a href="${target}"${current ? html` aria-current="page"` : ''}>${label}</a></li>`;
}

/**
 * A complete HTML document around a page's content: a skip link, the main
 * menu, breadcrumbs, the page's own `<main>` and a footer. Everything it
 * links is served by ferry itself (a stylesheet, a deferred script, an icon).
 */
export function pageShell(ctx: ShellContext, page: PageContent): Html {
  const crumbs = page.crumbs ?? [];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${page.title} · ferry</title>
<link rel="stylesheet" href="${href(ctx.assets, 'ui.css')}">
<link rel="icon" type="image/svg+xml" href="${href(ctx.assets, 'icon.svg')}">
<script src="${href(ctx.assets, 'ui.js')}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<nav aria-label="Main">
<a class="brand" href="/">ferry</a>
<ul>${menuItem('Repositories', '/', page.section === 'repositories')}${menuItem('Bundles', '/bundles', page.section === 'bundles')}</ul>
</nav>
${ctx.readOnly ? html`<span class="badge" title="This registry refuses every write">read-only</span>` : ''}
</header>
<main id="main" tabindex="-1">
${crumbs.length > 0 ? html`<nav class="crumbs" aria-label="Breadcrumb"><ol>${crumbs.map((c, i) => (i === crumbs.length - 1 || c.href === undefined ? html`<li><span aria-current="${i === crumbs.length - 1 ? 'page' : 'false'}">${c.label}</span></li>` : html`<li><a href="${c.href}">${c.label}</a></li>`))}</ol></nav>` : ''}
${page.body}
</main>
<footer class="foot"><p>ferry serve · the registry API is at <code>/v2/</code> · this page loads nothing from outside this server</p></footer>
</body>
</html>
`;
}
