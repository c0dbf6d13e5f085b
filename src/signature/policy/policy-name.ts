import { realpath } from 'node:fs/promises';
import { dirname, basename, join, resolve } from 'node:path';
import type { TransportRef } from '../../ref/transport-ref.ts';
import type { ImageReference } from '../../ref/reference.ts';
import { containersStorageScopes, dockerScopes, identityReference, pathScopes, type PolicyName } from './policy-scopes.ts';

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
    case 'oc-disk':
      // The image name is not part of the scope: "$dir:name" and "$dir" may be the same image.
      return { transport: ref.transport, scopes: pathScopes(await explicitPath(ref.path)), identity: extra };
    case 'docker-archive':
      return { transport: 'docker-archive', scopes: [], identity: ref.ref !== undefined ? identityReference(ref.ref) : extra };
    case 'containers-storage': {
      const named = ref.ref !== undefined ? identityReference(ref.ref) : undefined;
      // Scopes name the store as [driver@root]; a store left to storage.conf's defaults is not resolved here, so only the transport default applies to it.
      const store = ref.store?.driver !== undefined && ref.store.root !== undefined ? { driver: ref.store.driver, graphRoot: ref.store.root } : undefined;
      return { transport: 'containers-storage', scopes: store ? containersStorageScopes(store, named, ref.id) : [], identity: named ?? extra };
    }
    case 'docker-daemon': {
      const named = ref.ref !== undefined ? identityReference(ref.ref) : undefined;
      // An image ID names no repository: only the transport default applies.
      return { transport: 'docker-daemon', scopes: named !== undefined ? [dockerScopes(named)[0]!] : [], identity: named ?? extra };
    }
  }
}
