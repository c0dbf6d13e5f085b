import { realpath } from 'node:fs/promises';
import { dirname, basename, join, resolve } from 'node:path';
import type { TransportRef } from '../../ref/transport-ref.ts';
import type { ImageReference } from '../../ref/reference.ts';
import { containersStorageScopes, dockerScopes, identityReference, pathScopes, type PolicyName, type StorageSpec } from './policy-scopes.ts';

/**
 * Fully explicit path as containers/image resolves it: symlinks of the
 * existing part resolved, the rest appended (a destination may not exist yet).
 */
export async function explicitPath(path: string): Promise<string> {
  const abs = resolve(path);
  try {
    return await realpath(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(await explicitPath(parent), basename(abs));
  }
}

/** Transports added later (docker-daemon, containers-storage) are read by shape. */
interface LocalTransportRef {
  transport: string;
  ref?: ImageReference | undefined;
  id?: string | undefined;
  store?: StorageSpec | undefined;
}

export interface PolicyNameOptions {
  /**
   * The registry identity of an image whose transport has none of its own: a
   * layout entry's `io.ferry.source` (ferry's extension; containers/image has
   * no identity for `oci:` images).
   */
  identity?: ImageReference | undefined;
}

/**
 * Where a transport reference sits in the policy: its transport, scopes
 * (most specific first) and registry identity, as containers/image names them.
 */
export async function policyNameOf(ref: TransportRef, options: PolicyNameOptions = {}): Promise<PolicyName> {
  const extra = options.identity === undefined ? undefined : identityReference(options.identity);
  switch (ref.transport) {
    case 'docker':
      return { transport: 'docker', scopes: dockerScopes(ref.ref), identity: identityReference(ref.ref) };
    case 'dir': {
      const path = await explicitPath(ref.path);
      // dir: the image directory itself, then its parents.
      return { transport: 'dir', scopes: pathScopes(path), identity: extra };
    }
    case 'oci':
    case 'oci-archive':
      // The image name is not part of the scope: "$dir:name" and "$dir" may be the same image.
      return { transport: ref.transport, scopes: pathScopes(await explicitPath(ref.path)), identity: extra };
    case 'docker-archive':
      return { transport: 'docker-archive', scopes: [], identity: ref.ref !== undefined ? identityReference(ref.ref) : extra };
    default: {
      const local = ref as unknown as LocalTransportRef;
      const named = local.ref !== undefined ? identityReference(local.ref) : undefined;
      if (local.transport === 'containers-storage' && local.store !== undefined) {
        return { transport: local.transport, scopes: containersStorageScopes(local.store, named, local.id), identity: named ?? extra };
      }
      if (local.transport === 'docker-daemon') {
        // An image ID names no repository: only the transport default applies.
        return { transport: local.transport, scopes: named !== undefined ? [dockerScopes(named)[0]!] : [], identity: named ?? extra };
      }
      return { transport: local.transport, scopes: [], identity: named ?? extra };
    }
  }
}
