import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FerryError } from '../errors.ts';
import type { Digest } from '../oci/digest.ts';
import type { TransportRef } from '../ref/transport-ref.ts';
import { OpenSession } from '../repository/open-session.ts';
import { redactUrl } from '../transports/registry/auth/redact.ts';
import { openImage } from '../transports/open-image.ts';
import { writeNumberedFiles } from '../signature/storage/numbered-files.ts';
import type { RepositoryMapping } from '../mirror/cluster-resources.ts';
import { AccessCache } from '../sync/engine/access-cache.ts';
import { sync, type SyncOptions, type SyncResult } from '../sync/sync.ts';
import { retryPolicy } from '../util/retry.ts';
import { applyManifests, type AppliedManifest, type ApplyManifestsOptions } from './apply-manifests.ts';
import {
  installConfigSnippet, mirrorManifests, mirrorSetName, signatureConfigMap, writeReleaseManifests, type ReleaseManifest,
} from './release-manifests.ts';
import { readReleasePayload, type ReleasePayload } from './release-payload.ts';
import { describeRepository, releaseMappings, releaseSpec, type ReleaseImageTarget, type ReleaseRepository, type ReleaseSpecInput } from './release-plan.ts';
import { readReleaseSignatures, releaseSignatureUrl, verifyReleaseSignatures, type ReleaseSignature } from './release-signatures.ts';

/** With `--to-dir`, the manifests go here under DIR unless `--manifests-to-dir` says otherwise. */
export const MANIFESTS_DIR = 'manifests';
/** With `--to-dir`, the verified signatures are kept here under DIR as a signature store, to be checked again inside. */
export const SIGNATURES_DIR = 'release-signatures';

export interface ReleaseMirrorOptions extends Omit<SyncOptions, 'preserveDigests' | 'shard'> {
  /** The release image (`--from`, `--from-dir`). */
  from: TransportRef & { transport: 'docker' | 'oc-disk' };
  /** Where every image goes (`--to`, or `file://openshift/release` under `--to-dir`). */
  to: ReleaseRepository;
  /** `--to-release-image`. */
  toReleaseImage?: ReleaseImageTarget | undefined;
  /** `--release-signature-store`. */
  signatureStore?: URL | undefined;
  /** `--release-key`: the GPG public keys signatures must verify with. */
  keys?: readonly Uint8Array[] | undefined;
  /** `--skip-verification`: carry signatures without checking them (and mirror without any). */
  skipVerification?: boolean | undefined;
  /** `--manifests-to-dir`; with a destination on disk the default is its `manifests/` folder. */
  manifestsDir?: string | undefined;
  /** `--apply-manifests [--overwrite]`. */
  apply?: ApplyManifestsOptions | undefined;
  onWarning?: ((message: string) => void) | undefined;
  /** Called as each phase starts, for progress. */
  onPhase?: ((phase: 'read' | 'signatures' | 'mirror' | 'manifests' | 'apply', detail: string) => void) | undefined;
}

export interface ReleaseMirrorResult {
  version: string;
  /** The release image's digest: what the cluster upgrades to, and what its signatures sign. */
  digest: Digest;
  source: string;
  /** `REPOSITORY@DIGEST` to upgrade to (`oc adm upgrade --to-image`); undefined for a destination on disk. */
  upgradeImage?: string | undefined;
  payload: ReleasePayload;
  signatures: ReleaseSignature[];
  /** Whether the signatures were verified (false with --skip-verification). */
  verified: boolean;
  sync: SyncResult;
  mappings: RepositoryMapping[];
  /** `imageContentSources` for install-config.yaml ('' when there are no mappings). */
  installConfig: string;
  manifests: ReleaseManifest[];
  /** Paths written (manifests, and the signature store under --to-dir). */
  written: string[];
  applied: AppliedManifest[];
}

function checkVerification(options: ReleaseMirrorOptions): void {
  if (options.skipVerification === true) return;
  if (options.signatureStore === undefined || options.keys === undefined || options.keys.length === 0) {
    throw new FerryError('USAGE', 'a release mirror verifies the release signatures: give --release-signature-store URL and --release-key FILE', {
      hint: 'or mirror without checking them with --skip-verification (the cluster then has no signature to trust either)',
    });
  }
}

/** Reads the release and its signatures, verified, before anything is written. */
async function readRelease(options: ReleaseMirrorOptions): Promise<{ payload: ReleasePayload; signatures: ReleaseSignature[]; display: string; localDigests: Set<Digest> }> {
  const { signal } = options;
  const session = new OpenSession();
  try {
    const access = new AccessCache(options.access ?? {}, retryPolicy(options.retryTimes)).access(options.sourceOverrides ?? {});
    const source = await openImage(options.from, { role: 'source', access, session, tlsFlag: '--src-tls-verify', signal });
    options.onPhase?.('read', source.display);
    const payload = await readReleasePayload(source, { signal, onWarning: options.onWarning });
    let signatures: ReleaseSignature[] = [];
    if (options.signatureStore !== undefined) {
      const store = redactUrl(options.signatureStore.href);
      options.onPhase?.('signatures', store);
      signatures = await readReleaseSignatures(options.signatureStore, payload.digest, { signal });
      if (options.skipVerification !== true) signatures = await verifyReleaseSignatures(signatures, payload.digest, options.keys ?? [], { store, signal });
    }
    if (options.skipVerification === true) {
      options.onWarning?.(`--skip-verification: the signatures of ${payload.digest} were not verified${signatures.length === 0 ? ' (none were read)' : ''}`);
    }
    // oc's --from-dir: components are read where the release is when that repository holds them.
    const localDigests = new Set<Digest>();
    if (options.from.transport === 'oc-disk') {
      for (const c of payload.references.components) {
        if ((await source.repository.manifestHead(c.image.digest, { signal })) !== undefined) localDigests.add(c.image.digest);
      }
    }
    return { payload, signatures, display: source.display, localDigests };
  } finally {
    await session.close();
  }
}

/** Keeps the verified signatures under DIR as a store (`sha256=<hex>/signature-<n>`), for `--release-signature-store` inside. */
async function keepSignatures(dir: string, digest: Digest, signatures: readonly ReleaseSignature[]): Promise<string[]> {
  const store = pathToFileURL(join(dir, SIGNATURES_DIR));
  const pathOf = (n: number): string => fileURLToPath(releaseSignatureUrl(store, digest, n));
  await writeNumberedFiles(pathOf, signatures.map((s) => s.blob));
  return signatures.map((_, i) => pathOf(i + 1));
}

/**
 * `ferry release mirror`: reads the release image's image-references,
 * verifies its signatures (before anything is written), mirrors every
 * component and then the release image through the sync engine — digest
 * exact, all platforms, shared blobs once, mounts across repositories — and
 * then writes (and applies) the signature ConfigMap and the mirror sets.
 * Nothing is written or applied for a dry run, when an image failed or
 * when the run stopped early (`sync.stoppedBy`).
 *
 * @throws FerryError `USAGE` without a way to verify (see `skipVerification`); `POLICY_DENIED` when a signature does not verify.
 */
export async function mirrorRelease(options: ReleaseMirrorOptions): Promise<ReleaseMirrorResult> {
  checkVerification(options);
  const { from, to, toReleaseImage, manifestsDir: _dir, apply: _apply, signatureStore: _store, keys: _keys, skipVerification: _skip, onWarning: _warn, onPhase, ...syncOptions } = options;
  const { payload, signatures, display, localDigests } = await readRelease(options);
  const input: ReleaseSpecInput = { source: from, digest: payload.digest, references: payload.references, to, toReleaseImage, localDigests };
  onPhase?.('mirror', describeRepository(to));
  const result = await sync(releaseSpec(input), { ...syncOptions, preserveDigests: true });
  const mappings = releaseMappings(input);
  const manifests: ReleaseManifest[] = [];
  if (signatures.length > 0) manifests.push(signatureConfigMap(payload.digest, signatures.map((s) => s.blob)));
  if (mappings.length > 0) manifests.push(...mirrorManifests(mappings, mirrorSetName(payload.references.version)));
  const upgradeTarget = toReleaseImage?.repository ?? to;
  const done: ReleaseMirrorResult = {
    version: payload.references.version,
    digest: payload.digest,
    source: display,
    upgradeImage: upgradeTarget.kind === 'registry' ? `${describeRepository(upgradeTarget)}@${payload.digest}` : undefined,
    payload,
    signatures,
    verified: options.skipVerification !== true && signatures.length > 0,
    sync: result,
    mappings,
    installConfig: mappings.length > 0 ? installConfigSnippet(mappings) : '',
    manifests,
    written: [],
    applied: [],
  };
  if (options.dryRun === true || result.stoppedBy !== undefined || result.report.totals.failed > 0) return done;
  const manifestsDir = options.manifestsDir ?? (to.kind === 'oc-disk' ? join(to.path, MANIFESTS_DIR) : undefined);
  if (manifestsDir !== undefined && manifests.length > 0) {
    onPhase?.('manifests', manifestsDir);
    done.written.push(...(await writeReleaseManifests(manifestsDir, manifests, { signal: options.signal })));
  }
  if (to.kind === 'oc-disk' && signatures.length > 0) done.written.push(...(await keepSignatures(to.path, payload.digest, signatures)));
  if (options.apply !== undefined && manifests.length > 0) {
    onPhase?.('apply', `${manifests.length} object(s)`);
    done.applied = await applyManifests(manifests.map((m) => m.object), { ...options.apply, signal: options.signal });
  }
  return done;
}
