import type { KeyObject } from 'node:crypto';
import { FerryError } from '../../errors.ts';
import { GpgKeyring } from '../simple-signing/gpg.ts';
import { parsePublicKeys } from '../sigstore/sigstore-signature.ts';
import { readSmallFile } from '../../util/regular-file.ts';
import type { PolicyRequirement } from './policy-format.ts';

type SignedBy = Extract<PolicyRequirement, { type: 'signedBy' }>;
type SigstoreSigned = Extract<PolicyRequirement, { type: 'sigstoreSigned' }>;

/** Key files are small; this bounds a path pointing at something else. */
const MAX_KEY_FILE_BYTES = 16 * 1024 * 1024;

async function readKeyFile(path: string): Promise<Buffer> {
  try {
    return await readSmallFile(path, { what: 'key file', maxBytes: MAX_KEY_FILE_BYTES });
  } catch (error) {
    if (!(error instanceof FerryError)) throw error;
    throw new FerryError('INVALID_CONFIG', `${error.message} (named by the signature policy)`, { cause: error, hint: error.hint });
  }
}

/** Where a requirement's keys come from, for messages: the paths, or "keyData". */
export function keySourceOf(req: SignedBy | SigstoreSigned): string {
  if (req.keyPath !== undefined) return req.keyPath;
  if (req.keyPaths !== undefined) return req.keyPaths.join(', ');
  if (req.type === 'sigstoreSigned' && req.keyDatas !== undefined) return `keyDatas (${req.keyDatas.length} keys)`;
  if (req.keyData !== undefined) return 'keyData';
  return 'no key';
}

async function keySources(req: SignedBy | SigstoreSigned): Promise<Buffer[]> {
  if (req.keyPath !== undefined) return [await readKeyFile(req.keyPath)];
  if (req.keyPaths !== undefined) return Promise.all(req.keyPaths.map(readKeyFile));
  if (req.type === 'sigstoreSigned' && req.keyDatas !== undefined) return req.keyDatas.map((d) => Buffer.from(d, 'base64'));
  if (req.keyData !== undefined) return [Buffer.from(req.keyData, 'base64')];
  return [];
}

/**
 * Key material of the policy's requirements, read once per run: GPG keyrings
 * (temporary files for gpgv, removed by {@link dispose}) and sigstore public keys.
 */
export class PolicyKeys {
  private readonly keyrings = new Map<SignedBy, Promise<GpgKeyring>>();
  private readonly publicKeys = new Map<SigstoreSigned, Promise<KeyObject[]>>();

  keyring(req: SignedBy): Promise<GpgKeyring> {
    let ring = this.keyrings.get(req);
    if (!ring) {
      ring = keySources(req).then((keys) => GpgKeyring.create(keys));
      this.keyrings.set(req, ring);
    }
    return ring;
  }

  sigstoreKeys(req: SigstoreSigned): Promise<KeyObject[]> {
    let keys = this.publicKeys.get(req);
    if (!keys) {
      keys = keySources(req).then((sources) => sources.flatMap((s) => parsePublicKeys(s, keySourceOf(req))));
      this.publicKeys.set(req, keys);
    }
    return keys;
  }

  async dispose(): Promise<void> {
    const rings = await Promise.allSettled(this.keyrings.values());
    this.keyrings.clear();
    await Promise.all(rings.map((r) => (r.status === 'fulfilled' ? r.value.dispose() : undefined)));
  }
}
