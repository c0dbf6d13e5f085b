/**
 * HTML built from template literals: every interpolated value is escaped
 * unless it is already {@link Html} (the result of another `html` template or
 * of {@link trusted}). Arrays are joined, and null, undefined and false
 * render nothing, so conditionals and lists read naturally. Store content
 * (tags, labels, annotations, history) is attacker-controlled: it only ever
 * reaches a page through this escaping.
 */
export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || value === false || value === true) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** The tag for templates: `html\`<td>${tag}</td>\``. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup the caller vouches for (built by this module's own code, never from store content). */
export function trusted(text: string): Html {
  return new Html(text);
}
