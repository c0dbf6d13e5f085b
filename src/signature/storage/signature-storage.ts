import { join } from 'node:path';
import { FerryError } from '../../errors.ts';
import { digestAlgorithm, digestHex, digestOf, type Digest } from '../../oci/digest.ts';
import { lookasideBase, useSigstoreAttachments, type RegistriesD } from '../lookaside/registries-d.ts';
import { readLookaside, writeLookaside } from '../lookaside/lookaside.ts';
import { readExtensionSignatures, registrySupportsSignatures, writeExtensionSignatures } from '../lookaside/registry-extension.ts';
import { signatureDebug } from '../../util/debug-channels.ts';
import { noSignatures, type ImageSignatures } from '../signature-types.ts';
import { attachmentTag, readSigstoreAttachment, writeSigstoreAttachment } from '../sigstore/attachment-manifest.ts';
import { readBundles } from '../sigstore/cosign-bundle.ts';
import type { SigstoreSignature } from '../sigstore/sigstore-signature.ts';
import { readLayoutSignatures, writeLayoutSignatures } from './layout-signatures.ts';
import { readNumberedFiles, writeNumberedFiles } from './numbered-files.ts';
import { decodeSignatureBlob, encodeSigstoreSignature } from './signature-blob.ts';
import { readSmallFile } from '../../util/regular-file.ts';
import { MAX_MANIFEST_BYTES } from '../../oci/manifest.ts';
import { attachmentReference, type SignatureLocation } from './signature-location.ts';

/**
 * Reads and writes the signatures of one manifest digest wherever the image
 * lives (see {@link SignatureLocation}). One instance serves a run: it holds
 * the registries.d configuration and remembers which registries offer the
 * signature API.
 */
export class SignatureStorage {
  readonly registriesD: RegistriesD;
  private readonly extension = new Map<string, Promise<boolean>>();

  constructor(registriesD: RegistriesD) {
    this.registriesD = registriesD;
  }

  private supportsExtension(location: Extract<SignatureLocation, { kind: 'registry' }>, signal: AbortSignal | undefined): Promise<boolean> {
    const key = location.repository.storageId;
    let known = this.extension.get(key);
    if (!known) {
      known = registrySupportsSignatures(location.repository, signal).catch(() => false);
      this.extension.set(key, known);
    }
    return known;
  }

  /** Whether cosign attachments are read and written at this location. */
  usesAttachments(location: SignatureLocation): boolean {
    if (location.kind === 'registry') return useSigstoreAttachments(this.registriesD, location.reference);
    return location.kind === 'layout';
  }

  /**
   * Every signature of `digest` at `location`; with `attachments` false, not
   * the ones kept as attachments (`.sig` tags, bundles), for a caller that
   * copies those as they are instead of reading them.
   */
  async read(location: SignatureLocation, digest: Digest, signal: AbortSignal | undefined, attachments = true): Promise<ImageSignatures> {
    const found = noSignatures();
    switch (location.kind) {
      case 'registry': {
        const fromApi = await this.supportsExtension(location, signal);
        const simple = fromApi
          ? await readExtensionSignatures(location.repository, digest, signal)
          : await readLookaside(lookasideBase(this.registriesD, location.reference, false).url, digest, signal);
        this.addBlobs(found, simple);
        if (attachments && this.usesAttachments(location)) {
          await this.addAttachment(found, location, digest, signal);
          found.bundles.push(...(await readBundles(location.repository, digest, signal)));
        }
        return found;
      }
      case 'layout': {
        this.addBlobs(found, (await readLayoutSignatures(location.dir, digest)).map((s) => ({ blob: s.blob, location: `file://${s.path}` })));
        if (attachments) await this.addAttachment(found, location, digest, signal);
        return found;
      }
      case 'dir': {
        const pathOf = await dirSignaturePath(location.dir, digest);
        this.addBlobs(found, (await readNumberedFiles(pathOf)).map((f) => ({ blob: f.blob, location: `file://${f.path}` })));
        return found;
      }
      case 'none':
        return found;
    }
  }

  private addBlobs(found: ImageSignatures, blobs: ReadonlyArray<{ blob: Uint8Array; location: string }>): void {
    for (const { blob, location } of blobs) {
      const decoded = decodeSignatureBlob(blob);
      if (decoded.kind === 'simple-signing') found.simple.push({ blob: decoded.blob, location });
      else if (decoded.kind === 'sigstore') found.sigstore.push({ ...decoded.signature, location });
      else signatureDebug(`ignoring ${location}: ${decoded.why}`);
    }
  }

  private async addAttachment(found: ImageSignatures, location: SignatureLocation, digest: Digest, signal: AbortSignal | undefined): Promise<void> {
    const reference = attachmentReference(location, attachmentTag(digest, '.sig'));
    const attachment = await readSigstoreAttachment(location.target.repository, reference, signal);
    for (const sig of attachment?.signatures ?? []) found.sigstore.push({ ...sig, location: `${location.target.repository.display}:${reference}` });
  }

  /** Whether simple signing signatures can be stored at `location` (archives cannot hold any). */
  canStore(location: SignatureLocation, kind: 'simple' | 'sigstore'): boolean {
    if (location.kind === 'none') return false;
    if (kind === 'sigstore' && location.kind === 'registry') return this.usesAttachments(location);
    return true;
  }

  /**
   * Adds `blobs` to the simple signing signatures of `digest`: through the
   * registry's signature API where offered, else in the lookaside staging
   * location, a layout's `signatures/`, or `dir:` files. Signatures already
   * there stay (an identical one is not stored twice). Returns where they went.
   * `imageFirst` puts the image's manifest in place before the signature API
   * is used: the API keeps signatures on the image, which must exist.
   */
  async writeSimple(location: SignatureLocation, digest: Digest, blobs: readonly Uint8Array[], signal: AbortSignal | undefined, imageFirst?: () => Promise<void>): Promise<string> {
    switch (location.kind) {
      case 'registry': {
        if (await this.supportsExtension(location, signal)) {
          await imageFirst?.();
          await writeExtensionSignatures(location.repository, digest, blobs, signal);
          return `${location.repository.display} (signature API)`;
        }
        const base = lookasideBase(this.registriesD, location.reference, true);
        const existing = base.url.protocol === 'file:' ? (await readLookaside(base.url, digest, signal)).map((s) => s.blob) : [];
        await writeLookaside(base.url, digest, union(existing, blobs));
        return base.url.href;
      }
      case 'layout':
        return `file://${await writeLayoutSignatures(location.dir, digest, blobs, signal)}`;
      case 'dir': {
        const pathOf = await dirSignaturePath(location.dir, digest);
        // A dir: image holds both kinds in one numbered list.
        await writeNumberedFiles(pathOf, union((await readNumberedFiles(pathOf)).map((f) => f.blob), blobs));
        return `file://${location.dir}`;
      }
      case 'none':
        throw cannotStore(location);
    }
  }

  /** Adds cosign signatures for `digest`: to the `.sig` attachment (registry, layout) or `dir:` files. Returns where. */
  async writeSigstore(location: SignatureLocation, digest: Digest, signatures: readonly SigstoreSignature[], signal: AbortSignal | undefined): Promise<string> {
    if (location.kind === 'registry' || location.kind === 'layout') {
      if (!this.canStore(location, 'sigstore')) {
        throw new FerryError('INVALID_CONFIG', `${location.target.display}: use-sigstore-attachments is false in registries.d, so sigstore signatures cannot be written there`, {
          hint: 'enable use-sigstore-attachments for this registry, or drop --sign-by-sigstore-private-key',
        });
      }
      const reference = attachmentReference(location, attachmentTag(digest, '.sig'));
      await writeSigstoreAttachment(location.target.repository, reference, signatures, signal);
      return `${location.target.repository.display}:${reference}`;
    }
    if (location.kind === 'dir') {
      const pathOf = await dirSignaturePath(location.dir, digest);
      await writeNumberedFiles(pathOf, union((await readNumberedFiles(pathOf)).map((f) => f.blob), signatures.map(encodeSigstoreSignature)));
      return `file://${location.dir}`;
    }
    throw cannotStore(location);
  }
}

/** `existing` followed by the blobs of `added` it does not hold yet. */
function union(existing: readonly Uint8Array[], added: readonly Uint8Array[]): Uint8Array[] {
  const out = [...existing];
  for (const blob of added) if (!out.some((x) => Buffer.compare(Buffer.from(x), Buffer.from(blob)) === 0)) out.push(blob);
  return out;
}

function cannotStore(location: Extract<SignatureLocation, { kind: 'none' }>): FerryError {
  return new FerryError('UNSUPPORTED', `${location.target.display}: ${location.transport} cannot store signatures`, {
    hint: 'copy with --remove-signatures, or to a registry, oci: or dir: destination',
  });
}

/**
 * containers/image's `dir:` names: `signature-N` for the image the directory
 * holds (its `manifest.json`), `<hex>.signature-N` for an instance of it.
 */
async function dirSignaturePath(dir: string, digest: Digest): Promise<(n: number) => string> {
  const top = await readSmallFile(join(dir, 'manifest.json'), { what: 'manifest', maxBytes: MAX_MANIFEST_BYTES }).catch(() => undefined);
  const isTop = top !== undefined && digestOf(top, digestAlgorithm(digest)) === digest;
  return (n) => join(dir, isTop ? `signature-${n}` : `${digestHex(digest)}.signature-${n}`);
}
