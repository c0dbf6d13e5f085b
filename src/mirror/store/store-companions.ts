import { isFerryError } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import type { Digest } from '../../oci/digest.ts';
import { MAX_MANIFEST_BYTES, parseManifest } from '../../oci/manifest.ts';
import { attachmentSubject } from '../../signature/sigstore/attachment-manifest.ts';
import { entryRefName, type LayoutStore } from '../../transports/layout/index.ts';

/**
 * The store entries that are about another manifest rather than images of
 * their own — cosign `.sig`/`.att`/`.sbom` and referrers-fallback names, and
 * referrers (untagged records with a `subject`) — each with the manifest it
 * is about. They follow their image: the policy does not judge them, and
 * they are not signed. Untagged records whose manifest cannot be read are
 * left to whoever reads them next, which reports it.
 */
export async function companionSubjects(store: LayoutStore, entries: readonly Descriptor[], signal?: AbortSignal): Promise<Map<Descriptor, Digest>> {
  const subjects = new Map<Descriptor, Digest>();
  const read = new Map<Digest, Digest | undefined>();
  for (const entry of entries) {
    const name = entryRefName(entry);
    if (name !== undefined) {
      const subject = attachmentSubject(name);
      if (subject !== undefined) subjects.set(entry, subject);
      continue;
    }
    if (!read.has(entry.digest)) {
      let subject: Digest | undefined;
      try {
        const parsed = parseManifest(await store.readBlob(entry.digest, { maxBytes: MAX_MANIFEST_BYTES, signal }), entry.mediaType, `oci:${store.dir}@${entry.digest}`);
        subject = (parsed.kind === 'index' ? parsed.index.subject : parsed.manifest.subject)?.digest;
      } catch (error) {
        if (!isFerryError(error) || error.code === 'ABORTED') throw error;
      }
      read.set(entry.digest, subject);
    }
    const subject = read.get(entry.digest);
    if (subject !== undefined) subjects.set(entry, subject);
  }
  return subjects;
}
