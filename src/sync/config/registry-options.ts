import { FerryError } from '../../errors.ts';
import { parseReference } from '../../ref/reference.ts';
import type { RegistryEntry, RegistryOptions } from './sync-spec.ts';

// image-syncer's docs name Docker Hub this way; parseReference knows the other aliases.
const EXTRA_HUB_ALIASES = new Set(['registry.hub.docker.com', 'hub.docker.com']);

/** True when the first path element names a registry host (docker's rule: has "." or ":", is localhost, or is [IPv6]). */
export function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[');
}

/**
 * Normalises a registry host (`index.docker.io` → `docker.io`).
 * @returns the host, or a string saying why it is not one.
 */
export function normalizeRegistry(host: string): string | { problem: string } {
  if (EXTRA_HUB_ALIASES.has(host.toLowerCase())) return 'docker.io';
  if (host.includes('/')) return { problem: `"${host}" is not a registry host (it holds a "/")` };
  if (!looksLikeRegistry(host)) {
    return { problem: `"${host}" is not a registry host (a registry has a "." or ":" in its name, or is localhost)` };
  }
  try {
    return parseReference(`${host}/x`).registry;
  } catch (error) {
    const why = error instanceof FerryError ? error.message.replace(/^invalid image reference "[^"]*": /, '') : String(error);
    return { problem: `registry "${host}": ${why}` };
  }
}

/**
 * Splits `host[:port][/path…]` into a normalised registry and a path
 * without leading/trailing slashes, checking the path's grammar. Text
 * without a registry host is a Docker Hub path, as docker reads it.
 * @returns the parts, or a string saying what is wrong.
 */
export function splitRegistryPath(text: string): { registry: string; path: string } | { problem: string } {
  const trimmed = text.replace(/\/+$/, '');
  if (trimmed === '') return { problem: 'it is empty' };
  const slash = trimmed.indexOf('/');
  const first = slash === -1 ? trimmed : trimmed.slice(0, slash);
  let registry = 'docker.io';
  let path = trimmed;
  if (looksLikeRegistry(first) || EXTRA_HUB_ALIASES.has(first.toLowerCase())) {
    const r = normalizeRegistry(first);
    if (typeof r !== 'string') return r;
    registry = r;
    path = slash === -1 ? '' : trimmed.slice(slash + 1);
  }
  if (path !== '') {
    try {
      const ref = parseReference(`${registry}/${path}/x`);
      if (ref.tag !== undefined || ref.digest !== undefined) return { problem: `"${text}" has a tag or digest where a path was expected` };
    } catch (error) {
      const why = error instanceof FerryError ? error.message.replace(/^invalid image reference "[^"]*": /, '') : String(error);
      return { problem: `path "${path}": ${why}` };
    }
  }
  return { registry, path };
}

/** `override`'s fields where set, else `base`'s. */
export function mergeOptions(base: RegistryOptions | undefined, override: RegistryOptions | undefined): RegistryOptions {
  const out: RegistryOptions = { ...base };
  for (const [key, value] of Object.entries(override ?? {}) as [keyof RegistryOptions, unknown][]) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

/** True when a `registries:` scope covers an image of `registry`/`repository`. */
export function scopeCovers(scope: string, registry: string, repository: string): boolean {
  if (scope === registry) return true;
  const full = `${registry}/${repository}`;
  return full === scope || full.startsWith(`${scope}/`);
}

/**
 * The settings for talking to `registry` about `repository`: every entry
 * whose scope covers it, the broadest first and the most specific
 * (`registry/namespace`) last, each overriding fields of the ones before,
 * then `override` (the rule's own source or destination options) on top.
 */
export function resolveRegistryOptions(
  entries: readonly RegistryEntry[],
  registry: string,
  repository: string,
  override?: RegistryOptions,
): RegistryOptions {
  const matching = entries.filter((e) => scopeCovers(e.scope, registry, repository)).sort((a, b) => a.scope.length - b.scope.length);
  let out: RegistryOptions = {};
  for (const e of matching) out = mergeOptions(out, e.options);
  return mergeOptions(out, override);
}

/** Bandwidth value meaning "no cap": Harbor's `-1`. It overrides a cap of a broader scope. */
export const UNLIMITED_BANDWIDTH = 0;

/**
 * Bytes per second from `50MiB/s`, `1.5 GB/s`, `800Kbit/s`, or
 * {@link UNLIMITED_BANDWIDTH} for `-1` (Harbor's "unlimited"). Decimal units
 * (kB, MB, GB) are powers of 1000, binary ones (KiB, MiB, GiB) of 1024;
 * `bit` units are divided by 8. A bare number is refused: Harbor counts it
 * in Kbps, bytes would be a thousand times slower, so the unit must be said.
 * @returns the rate, or a string saying why the text is not one.
 */
export function parseBandwidth(text: string | number): number | string {
  const trimmed = String(text).trim();
  if (trimmed === '-1') return UNLIMITED_BANDWIDTH;
  if (/^[+-]?\d+(?:\.\d+)?$/.test(trimmed)) {
    return `${trimmed} has no unit; write e.g. ${trimmed}Kbit/s (Harbor's bandwidth is in Kbps), ${trimmed}KiB/s or ${trimmed}MB/s, or -1 for no limit`;
  }
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*(?:\/\s*s)?$/.exec(trimmed);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return `"${text}" is not a rate; write e.g. 50MiB/s, 20MB/s or 100Mbit/s, or -1 for no limit`;
  const value = Math.floor(Number(m[1]) * unit);
  return value > 0 ? value : 'must be more than 0 bytes per second (-1 means no limit)';
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  bit: 1 / 8,
  kbit: 1e3 / 8,
  mbit: 1e6 / 8,
  gbit: 1e9 / 8,
};
