import { fileURLToPath } from 'node:url';
import type { Dispatcher } from 'undici';
import { FerryError } from '../../errors.ts';
import { digestAlgorithm, digestHex, type Digest } from '../../oci/digest.ts';
import { redactUrl } from '../../transports/registry/auth/redact.ts';
import { readAtMost } from '../../util/read-at-most.ts';
import { MAX_SIGNATURE_BYTES } from '../simple-signing/payload.ts';
import { MAX_SIGNATURES, readNumberedFiles, writeNumberedFiles } from '../storage/numbered-files.ts';

/**
 * A lookaside signature store (docs/signature-protocols.md of
 * containers/image): signature N of manifest `sha256:<hex>` of a repository is
 * `<base>/<repository>@sha256=<hex>/signature-N`, N from 1, read until the
 * first one missing. Read over file://, http:// and https://; written to
 * file:// only (a web server is filled from a staging directory).
 */

/** A lookaside web server that does not answer in this time is down. */
const HTTP_TIMEOUT_MS = 30_000;
/** Lookaside servers may hand signatures to a CDN; a few hops are enough. */
const MAX_REDIRECTS = 3;

let dispatcher: Promise<Dispatcher> | undefined;
/**
 * undici as a whole loads only for a run that reads a lookaside over HTTP (it
 * costs every start ~70 ms otherwise). Through its default export, which is
 * CommonJS's `module.exports` both under Node and in the CLI bundle (the
 * bundle gives a lazily imported CommonJS module no named exports).
 */
function lookasideDispatcher(): Promise<Dispatcher> {
  dispatcher ??= import('undici').then(({ default: undici }) => undici.getGlobalDispatcher().compose(undici.interceptors.redirect({ maxRedirections: MAX_REDIRECTS })));
  return dispatcher;
}

/** The URL of signature `n` (from 1) of `digest` under a repository's lookaside base. */
export function lookasideUrl(base: URL, digest: Digest, n: number): URL {
  const url = new URL(base.href);
  url.pathname = `${base.pathname}@${digestAlgorithm(digest)}=${digestHex(digest)}/signature-${n}`;
  return url;
}

async function readHttp(url: URL, what: string, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
  let res;
  try {
    res = await (await lookasideDispatcher()).request({
      origin: url.origin, path: `${url.pathname}${url.search}`, method: 'GET', signal: signal ?? null, headersTimeout: HTTP_TIMEOUT_MS, bodyTimeout: HTTP_TIMEOUT_MS,
    });
  } catch (error) {
    throw new FerryError('NETWORK', `cannot reach the ${what} ${redactUrl(url.href)}: ${(error as Error).message}`, { cause: error, retryable: true });
  }
  if (res.statusCode === 404) {
    await res.body.dump();
    return undefined;
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new FerryError('REGISTRY', `${what} ${redactUrl(url.href)} answered ${res.statusCode}`, { retryable: res.statusCode >= 500 });
  }
  const body = await readAtMost(res.body, MAX_SIGNATURE_BYTES);
  if (body === undefined) throw new FerryError('INVALID_MANIFEST', `${what} ${redactUrl(url.href)}: over ${MAX_SIGNATURE_BYTES} bytes, not a signature`);
  return body;
}

/**
 * Signatures stored as numbered files at `urlOf(1)`, `urlOf(2)`, … over
 * file://, http:// or https://, read until the first one missing (404 or no
 * such file). `what` names the store in errors ("lookaside", "signature store").
 */
export async function readSignatureFiles(urlOf: (n: number) => URL, what: string, signal: AbortSignal | undefined): Promise<Array<{ blob: Uint8Array; location: string }>> {
  const first = urlOf(1);
  if (first.protocol === 'file:') {
    const files = await readNumberedFiles((n) => fileURLToPath(urlOf(n)));
    return files.map((f) => ({ blob: f.blob, location: `file://${f.path}` }));
  }
  if (first.protocol !== 'http:' && first.protocol !== 'https:') {
    throw new FerryError('INVALID_CONFIG', `unsupported ${what} URL scheme ${first.protocol} (${redactUrl(first.href)}); use file://, http:// or https://`);
  }
  const out: Array<{ blob: Uint8Array; location: string }> = [];
  for (let n = 1; n <= MAX_SIGNATURES; n++) {
    const url = urlOf(n);
    const blob = await readHttp(url, what, signal);
    if (blob === undefined) break;
    out.push({ blob, location: redactUrl(url.href) });
  }
  return out;
}

/** Every signature of `digest` stored under `base`, in order. */
export async function readLookaside(base: URL, digest: Digest, signal: AbortSignal | undefined): Promise<Array<{ blob: Uint8Array; location: string }>> {
  return readSignatureFiles((n) => lookasideUrl(base, digest, n), 'lookaside', signal);
}

/**
 * Replaces the signatures of `digest` under a `file://` base with `blobs`.
 *
 * @throws FerryError `INVALID_CONFIG` for an http(s) base: such a lookaside is written through a lookaside-staging directory.
 */
export async function writeLookaside(base: URL, digest: Digest, blobs: readonly Uint8Array[]): Promise<void> {
  if (base.protocol !== 'file:') {
    throw new FerryError('INVALID_CONFIG', `cannot write signatures to ${redactUrl(base.href)}: only file:// lookasides can be written`, {
      hint: 'configure a "lookaside-staging: file:///…" directory in registries.d and publish it on the web server',
    });
  }
  await writeNumberedFiles((n) => fileURLToPath(lookasideUrl(base, digest, n)), blobs);
}
