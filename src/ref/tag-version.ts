// semver's parts one by one: its index loads every function (47 modules, on every sync's start).
import type SemVer from 'semver/classes/semver.js';
import parse from 'semver/functions/parse.js';
import rcompare from 'semver/functions/rcompare.js';

/**
 * Tags as versions (`[v]MAJOR[.MINOR[.PATCH]][-PRERELEASE]`, as skopeo's
 * `images-by-semver` reads them): shared by sync's tag selection and the
 * server's tag listing, so both order versions alike.
 */

const TAG_VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** The version a tag names, or undefined when it is not one (`latest`, `1.2.3.4`, `stable-1.2`). */
export function parseTagVersion(tag: string): SemVer | undefined {
  const m = TAG_VERSION.exec(tag);
  if (!m) return undefined;
  const num = (s: string | undefined) => (s === undefined ? '0' : s.replace(/^0+(?=\d)/, ''));
  let text = `${num(m[1])}.${num(m[2])}.${num(m[3])}`;
  if (m[4] !== undefined) text += `-${m[4]}`;
  if (m[5] !== undefined) text += `+${m[5]}`;
  return parse(text) ?? undefined;
}

/** Compares two tags by version, highest first; tags that are not versions sort last, by name. */
export function compareTagsByVersionDesc(a: string, b: string): number {
  const va = parseTagVersion(a);
  const vb = parseTagVersion(b);
  if (va && vb) return rcompare(va, vb) || (a < b ? -1 : a > b ? 1 : 0);
  if (va) return -1;
  if (vb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
