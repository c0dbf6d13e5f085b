import { formatPlatform, parseManifest } from '../oci/manifest.ts';
import { formatReference, type ImageReference } from '../ref/reference.ts';
import { parseTransportRef, type TransportRef } from '../ref/transport-ref.ts';
import type { SignatureCheck } from '../signature/policy/signature-checks.ts';
import { attachmentSubject } from '../signature/sigstore/attachment-manifest.ts';
import type { SignatureOptions, SignatureSession } from '../signature/signature-session.ts';
import { withSignatureSession } from '../signature/signed-copy.ts';
import type { SignatureTarget } from '../signature/storage/signature-location.ts';
import { entryRefName, entrySource, openSessionLayout } from '../transports/layout/index.ts';
import { openImage } from '../transports/open-image.ts';
import type { AccessOptions } from '../repository/access.ts';
import { OpenSession } from '../repository/open-session.ts';

export interface VerifySignaturesOptions {
  /** Policy and registries.d (`--policy`, `--registries.d`), or a session to share. */
  signatures?: SignatureOptions | SignatureSession | undefined;
  /** Registry access for docker:// images. */
  access?: AccessOptions | undefined;
  signal?: AbortSignal | undefined;
}

/** The verdict on one manifest: an image, an index, or an instance of an index. */
export interface ManifestVerification {
  digest: string;
  mediaType: string;
  /** os/arch of an index instance. */
  platform?: string | undefined;
  allowed: boolean;
  policy: string;
  scope: string;
  reason?: string | undefined;
  signatures: SignatureCheck[];
}

/** One image: accepted when every manifest of it is (the index and each instance a node may pull). */
export interface ImageVerification {
  image: string;
  /** The registry identity signatures were matched against (`io.ferry.source` of a store entry). */
  identity?: string | undefined;
  allowed: boolean;
  manifests: ManifestVerification[];
}

/** The images `input` names: itself, or every named image of an OCI layout given without a name. */
async function expand(ref: TransportRef, opened: OpenSession): Promise<Array<{ ref: TransportRef; identity?: ImageReference | undefined }>> {
  if (ref.transport !== 'oci') return [{ ref }];
  const entries = await (await openSessionLayout(ref.path, { role: 'source', session: opened })).listEntries();
  if (ref.name !== undefined) {
    const entry = entries.find((e) => entryRefName(e) === ref.name);
    return [{ ref, identity: entry && entrySource(entry) }];
  }
  const names = new Map<string, ImageReference | undefined>();
  for (const entry of entries) {
    const name = entryRefName(entry);
    // Attachments (`sha256-<hex>.sig`…, referrers fallback tags) are not images to judge.
    if (name !== undefined && attachmentSubject(name) === undefined) names.set(name, entrySource(entry));
  }
  return [...names].sort(([a], [b]) => a.localeCompare(b)).map(([name, identity]) => ({ ref: { transport: 'oci', path: ref.path, name }, identity }));
}

/**
 * Checks images against the signature policy without copying them, as an
 * auditor does before deploying: a registry image, a layout image, or every
 * image of a layout store (`oci:PATH`). For an index, the index and each
 * instance are judged. A store image that records where it was mirrored
 * from (`io.ferry.source`) is judged as that registry image — its `docker`
 * scopes and identity, as a cluster pulling the source name through the
 * mirror sets judges it — with the signatures the store holds.
 */
export async function verifySignatures(image: string, options: VerifySignaturesOptions = {}): Promise<ImageVerification[]> {
  return withSignatureSession(options.signatures, async (session) => {
    const stores = new OpenSession();
    const { signal } = options;
    try {
      const results: ImageVerification[] = [];
      for (const { ref, identity } of await expand(parseTransportRef(image), stores)) {
        const opened = await openImage(ref, { role: 'source', access: options.access, session: stores, tlsFlag: '--tls-verify', signal });
        const target: SignatureTarget = { ...opened, transportRef: ref };
        try {
          const top = await target.repository.manifestGet(target.reference ?? 'latest', { signal });
          const manifests: ManifestVerification[] = [];
          const judge = async (manifest: typeof top, platform?: string): Promise<void> => {
            const { decision, signatures } = await session.inspect({ source: target, manifest, judgeAs: identity, signal });
            manifests.push({ digest: manifest.digest, mediaType: manifest.mediaType, platform, allowed: decision.allowed, policy: decision.policy, scope: decision.scope, reason: decision.reason, signatures });
          };
          await judge(top);
          const parsed = parseManifest(top.bytes, top.mediaType, target.display);
          if (parsed.kind === 'index') {
            for (const child of parsed.index.manifests) await judge(await target.repository.manifestGet(child.digest, { signal }), formatPlatform(child.platform));
          }
          results.push({ image: target.display, identity: identity && formatReference(identity), allowed: manifests.every((m) => m.allowed), manifests });
        } finally {
          await target.repository.close();
        }
      }
      return results;
    } finally {
      await stores.close();
    }
  });
}
