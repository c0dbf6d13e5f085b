/** OpenShift releases and `oc image mirror`: release mirroring with its signatures and mirror configuration, applied or written; oc's command line read into sync plans. */
export { mirrorRelease, MANIFESTS_DIR, SIGNATURES_DIR, type ReleaseMirrorOptions, type ReleaseMirrorResult } from './release-mirror.ts';
export { readReleasePayload, type ReleasePayload, type ReadReleasePayloadOptions } from './release-payload.ts';
export { parseImageReferences, parseReleaseMetadata, IMAGE_REFERENCES_FILE, RELEASE_METADATA_FILE, type ImageReferences, type ReleaseComponent, type ReleaseMetadata } from './image-references.ts';
export { parseReleaseSource, parseReleaseTarget, releaseSpec, releaseMappings, describeRepository, DEFAULT_DISK_REPOSITORY } from './release-plan.ts';
export type { ReleaseRepository, ReleaseImageTarget, ReleaseSpecInput } from './release-plan.ts';
export { parseSignatureStore, readReleaseKeys, readReleaseSignatures, releaseSignatureUrl, verifyReleaseSignatures, type ReleaseSignature } from './release-signatures.ts';
export {
  signatureConfigMap, mirrorManifests, mirrorSetName, installConfigSnippet, writeReleaseManifests, SIGNATURE_NAMESPACE, SIGNATURE_LABEL,
  type ReleaseManifest, type KubernetesObject,
} from './release-manifests.ts';
export { applyManifests, FIELD_MANAGER, type ApplyManifestsOptions, type AppliedManifest } from './apply-manifests.ts';
export { imageMirrorSpec, imageMirrorPlatforms, type ImageMirrorInput } from './image-mirror.ts';
