import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { FerryError } from '../../errors.ts';
import type { Digest } from '../../oci/digest.ts';
import { headerValue, readBounded } from '../../transports/registry/registry-client.ts';
import type { RegistryRepository } from '../../transports/registry/registry-repository.ts';
import { MAX_SIGNATURE_BYTES } from '../simple-signing/payload.ts';

/**
 * The `X-Registry-Supports-Signatures` API extension (OpenShift's
 * registry): simple signing signatures stored by the registry itself under
 * `/extensions/v2/<repository>/signatures/<digest>`. A registry offers it
 * with an `X-Registry-Supports-Signatures: 1` header on `/v2/`; where it
 * does, it replaces the lookaside, as containers/image does.
 */

/** The extension's signature record version and type. */
const SCHEMA_VERSION = 2;
const ATOMIC_TYPE = 'atomic';
/** A signature list holds a few small signatures; this bounds a hostile answer. */
const MAX_LIST_BYTES = 64 * MAX_SIGNATURE_BYTES;

/** A stored signature list. */
interface SignatureList {
  signatures?: Array<{ schemaVersion: number; name: string; type: string; content: string }> | null | undefined;
}

let listSchema: Promise<z.ZodType<SignatureList>> | undefined;
/** The list's schema, built on first use: zod loads only for a registry that offers the extension. */
function signatureListSchema(): Promise<z.ZodType<SignatureList>> {
  listSchema ??= import('zod').then(({ z }) =>
    z.object({
      signatures: z
        .array(z.object({ schemaVersion: z.number(), name: z.string(), type: z.string(), content: z.string() }))
        .nullable()
        .optional(),
    }),
  );
  return listSchema;
}

/** Whether the registry answers `/v2/` with `X-Registry-Supports-Signatures: 1`. */
export async function registrySupportsSignatures(repo: RegistryRepository, signal: AbortSignal | undefined): Promise<boolean> {
  const res = await repo.client.request({ method: 'GET', path: '/v2/', scopes: [], signal, accept: [401, 404], subject: repo.display });
  await res.body.dump();
  return headerValue(res.headers, 'x-registry-supports-signatures') === '1';
}

function path(repo: RegistryRepository, digest: Digest): string {
  return `/extensions/v2/${repo.repository}/signatures/${digest}`;
}

async function readList(repo: RegistryRepository, digest: Digest, signal: AbortSignal | undefined): Promise<SignatureList> {
  const subject = `${repo.display}@${digest} signatures`;
  const res = await repo.client.request({ method: 'GET', path: path(repo, digest), scopes: [{ repository: repo.repository, actions: ['pull'] }], signal, accept: [404], subject });
  if (res.status === 404) {
    await res.body.dump();
    return { signatures: [] };
  }
  const text = await readBounded(res.body, MAX_LIST_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FerryError('REGISTRY', `${subject}: the signature list is not JSON`);
  }
  const parsed = (await signatureListSchema()).safeParse(json);
  if (!parsed.success) throw new FerryError('REGISTRY', `${subject}: unexpected signature list format`);
  return parsed.data;
}

/** The simple signing signatures the registry stores for `digest`. */
export async function readExtensionSignatures(repo: RegistryRepository, digest: Digest, signal: AbortSignal | undefined): Promise<Array<{ blob: Uint8Array; location: string }>> {
  const list = await readList(repo, digest, signal);
  return (list.signatures ?? [])
    .filter((s) => s.schemaVersion === SCHEMA_VERSION && s.type === ATOMIC_TYPE)
    .map((s) => ({ blob: Buffer.from(s.content, 'base64'), location: `${repo.display}@${digest} signature ${s.name}` }));
}

/** Adds the signatures the registry does not hold yet (the extension cannot remove any). Returns how many were added. */
export async function writeExtensionSignatures(repo: RegistryRepository, digest: Digest, blobs: readonly Uint8Array[], signal: AbortSignal | undefined): Promise<number> {
  const list = await readList(repo, digest, signal);
  const existing = list.signatures ?? [];
  let added = 0;
  for (const blob of blobs) {
    const content = Buffer.from(blob).toString('base64');
    if (existing.some((s) => s.schemaVersion === SCHEMA_VERSION && s.type === ATOMIC_TYPE && s.content === content)) continue;
    // The API wants a new unique name per signature.
    const name = `${digest}@${randomBytes(16).toString('hex')}`;
    const body = Buffer.from(JSON.stringify({ schemaVersion: SCHEMA_VERSION, name, type: ATOMIC_TYPE, content }));
    const res = await repo.client.request({
      method: 'PUT',
      path: path(repo, digest),
      scopes: [{ repository: repo.repository, actions: ['pull', 'push'] }],
      headers: { 'content-type': 'application/json' },
      body,
      signal,
      subject: `${repo.display}@${digest} signatures`,
    });
    await res.body.dump();
    existing.push({ schemaVersion: SCHEMA_VERSION, name, type: ATOMIC_TYPE, content });
    added++;
  }
  return added;
}
