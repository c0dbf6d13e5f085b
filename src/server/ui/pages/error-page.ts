import { html } from '../html.ts';
import type { PageContent } from '../page-shell.ts';

const TITLES: Record<number, string> = { 400: 'Bad request', 401: 'Sign-in required', 404: 'Not found', 405: 'Not allowed' };

/** A plain page for an error answer: what happened and the way back. */
export function errorPage(status: number, message: string): PageContent {
  const title = TITLES[status] ?? (status >= 500 ? 'Server error' : 'Error');
  return {
    title,
    section: 'none',
    body: html`<h1>${title}</h1><p>${message}</p><p><a href="/">Back to the repositories</a></p>`,
  };
}
