/**
 * ferry as a library: the same operations as the CLI, each taking an options
 * object with an AbortSignal and reporting progress through events. Nothing
 * here writes to the console.
 *
 * @example
 * import { copy } from 'ferry';
 * await copy('docker://quay.io/ns/app:1.0', 'oci:/srv/mirror:ns/app:1.0', { all: true, onEvent: console.log });
 */
export { FerryError, isFerryError, type ErrorCode, type FerryErrorOptions, type HttpErrorDetails } from './errors.ts';

// Operations
export { copy, type CopyOptions, type CopyResult } from './api/copy.ts';
export { verifySignatures, type VerifySignaturesOptions, type ImageVerification, type ManifestVerification } from './api/verify-signatures.ts';
export { inspect, inspectConfig, inspectRaw, type InspectOptions, type InspectResult } from './api/inspect.ts';
export { formatInspect } from './api/inspect-format.ts';
export { renderGoTemplate } from './template/go-template.ts';
export { listTags, type ListTagsOptions, type ListTagsResult } from './api/tags.ts';
export { deleteImage, type DeleteOptions } from './api/delete.ts';
export { manifestDigest } from './api/manifest-digest.ts';
export { checkLogin, type CheckLoginOptions } from './api/login.ts';
export { login, logout, resolveCredentials, type LoginOptions, type LogoutOptions, type Credentials } from './transports/registry/auth/index.ts';
export { sync, type SyncOptions, type SyncResult } from './sync/sync.ts';
export { loadSyncInput, mergeSyncSpecs, type SyncInput } from './sync/config/load.ts';
export type { SyncSpec, SourceRule, Destination, TagSelector, RegistryOptions } from './sync/config/sync-spec.ts';
export type { SyncReport } from './sync/engine/report.ts';

// The engine and its contracts, for tools that bring their own transports
export { copyImage, type CopyImageOptions, type CopyImageResult, type CopyPolicyCheck } from './copy/copy-image.ts';
export type { CopyEvent, CopyEventListener, BlobOutcome } from './copy/events.ts';
export { BlobTracker } from './copy/blob-tracker.ts';
export { runImages, countResults, DEFAULT_IMAGE_JOBS, DEFAULT_BLOB_JOBS } from './copy/run-images.ts';
export type { CopyOne, ImageDone, ImageResult, RunContext, RunImagesOptions, RunImagesResult } from './copy/run-images.ts';
export type { Repository, ImageTarget, Capabilities } from './repository/repository.ts';
export { openImage } from './transports/open-image.ts';
export { TRANSPORT_TABLE, SYNC_DESTINATION_TRANSPORTS, type TransportEntry, type SyncDestinationTransport } from './transports/transport-table.ts';
export type { Opener, OpenImageOptions } from './repository/opener.ts';
export type { AccessOptions } from './repository/access.ts';
export { OpenSession } from './repository/open-session.ts';
export { openLayoutStore, layoutRepository, type LayoutStore } from './transports/layout/index.ts';

// Signature policy, carrying and signing (one session per run, shared by its images)
export { SignatureSession, type SignatureOptions, type SignaturesWritten, type AdmittedManifest } from './signature/signature-session.ts';
export { copySigned, withSignatureSession, summarizeSignatures, type SignedCopyOptions, type SignedCopyResult, type SignatureSummary } from './signature/signed-copy.ts';
export type { SignatureTarget } from './signature/storage/signature-location.ts';
export type { PolicyDecision } from './signature/policy/policy-evaluate.ts';
export type { SignatureCheck } from './signature/policy/signature-checks.ts';
export { loadPolicy, type LoadedPolicy } from './signature/policy/policy-file.ts';
export { parsePolicy } from './signature/policy/policy-parse.ts';
export { writeSigstoreKeyPair } from './signature/sigstore/key-files.ts';

// References and OCI types
export { parseReference, formatReference, familiarString, type ImageReference } from './ref/reference.ts';
export { parseTransportRef, formatTransportRef, type TransportRef } from './ref/transport-ref.ts';
export { parseDigest, digestOf, type Digest } from './oci/digest.ts';
export { MediaType } from './oci/media-types.ts';
export type { Descriptor, ImageManifest, ImageIndex, Platform } from './oci/descriptor.ts';

// Kubernetes / OpenShift migration and cluster mirror configuration
export * as k8s from './k8s/index.ts';
export { clusterResources } from './mirror/cluster-resources.ts';
export * as mirror from './mirror/index.ts';
export * as release from './release/index.ts';
export { startServer, layoutBackend, type ServeOptions, type RunningServer, type RegistryBackend } from './server/index.ts';

// Synthetic images for tests, demos and benchmarks
export { syntheticStore, syntheticRepository, type SyntheticImageSpec } from './testing/synthetic.ts';
