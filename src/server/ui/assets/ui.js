// ferry serve's web UI: progressive enhancement only. Every page is complete
// without this script; it adds copy buttons, filter-as-you-type, and refreshes
// the figures still being counted. It talks to this server alone.
/* global document, window, navigator, fetch, DOMParser, URL, setTimeout, clearTimeout */
'use strict';

(function () {
  /** Replaces the parts of the page named by `ids` with those of `url`'s page. */
  async function refresh(url, ids) {
    const response = await fetch(url, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
    if (!response.ok) return undefined;
    const next = new DOMParser().parseFromString(await response.text(), 'text/html');
    for (const id of ids) {
      const current = document.getElementById(id);
      const fresh = next.getElementById(id);
      if (current && fresh) current.replaceWith(document.importNode(fresh, true));
    }
    enhance(document);
    return next;
  }

  /** Copies text, with the clipboard API where the page is a secure context, else through a selection. */
  async function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }

  function enhance(root) {
    for (const button of root.querySelectorAll('button.copy[hidden]')) {
      button.hidden = false;
      button.addEventListener('click', async () => {
        try {
          await copy(button.dataset.copy || '');
          button.dataset.copied = '';
          button.textContent = 'Copied';
          setTimeout(() => {
            delete button.dataset.copied;
            button.textContent = 'Copy';
          }, 1500);
        } catch {
          button.textContent = 'Copy failed';
        }
      });
    }
  }

  function liveFilter() {
    const form = document.querySelector('form.filter[data-live]');
    const input = form && form.querySelector('input[type="search"]');
    if (!input) return;
    let timer;
    let asked = 0;
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const url = new URL(window.location.href);
        url.search = '';
        if (input.value.trim() !== '') url.searchParams.set('q', input.value.trim());
        const mine = ++asked;
        const next = await refresh(url, []);
        // A slower answer to an older keystroke must not overwrite a newer one.
        if (!next || mine !== asked) return;
        const current = document.getElementById('results');
        const fresh = next.getElementById('results');
        if (current && fresh) current.replaceWith(document.importNode(fresh, true));
        enhance(document);
        window.history.replaceState(null, '', url);
      }, 120);
    });
    document.addEventListener('keydown', (event) => {
      const typing = event.target instanceof window.HTMLElement && event.target.closest('input, textarea, select');
      if (event.key === '/' && !typing) {
        event.preventDefault();
        input.focus();
      }
    });
  }

  /** While sizes are being counted, the page asks again until they are all known. */
  function pollPending() {
    if (!document.querySelector('[data-pending]')) return;
    setTimeout(async () => {
      try {
        await refresh(window.location.href, ['summary', 'results']);
      } finally {
        pollPending();
      }
    }, 1500);
  }

  // Escape closes an open pop-over (pull commands) and returns focus to its toggle.
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    const open = document.querySelector('details.popover[open]');
    if (!open) return;
    open.open = false;
    const summary = open.querySelector('summary');
    if (summary) summary.focus();
  });

  enhance(document);
  liveFilter();
  pollPending();
})();
