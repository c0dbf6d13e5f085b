import { RegistryError } from '../registry-error.ts';
import type { RequestContext } from '../http-util.ts';
import { checkDigest } from './blob-handlers.ts';

/**
 * GET `/sigstore/<name>@<algorithm>=<hex>/signature-<N>`: the Nth GPG
 * signature of a manifest the repository holds, as a lookaside serves it.
 * 404 past the last one (clients read from 1 until the first 404), for a
 * manifest the repository does not hold, and when the store serves no
 * signatures.
 */
export async function getLookasideSignature(ctx: RequestContext, name: string, digestRaw: string, index: number): Promise<void> {
  const digest = checkDigest(digestRaw);
  const { signatures, manifests } = ctx.backend;
  if (signatures === undefined) throw new RegistryError(404, 'NOT_FOUND', 'this registry serves no signatures');
  if ((await manifests.stat(name, { digest }, { signal: ctx.signal })) === undefined) {
    throw new RegistryError(404, 'MANIFEST_UNKNOWN', `manifest ${digest} not found in ${name}`, { detail: { name, digest } });
  }
  const blob = (await signatures.simpleSignatures(digest, { signal: ctx.signal }))[index - 1];
  if (blob === undefined) throw new RegistryError(404, 'NOT_FOUND', `${name}@${digest} has no signature ${index}`);
  ctx.res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.byteLength });
  ctx.res.end(ctx.head ? undefined : blob);
}
