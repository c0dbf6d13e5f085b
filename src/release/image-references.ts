import { z } from 'zod';
import { FerryError } from '../errors.ts';
import { isValidTag, parseReference, type ImageReference } from '../ref/reference.ts';
import { parseJson } from '../util/json.ts';

/**
 * The two files of a release payload that say what the release is, both
 * under `release-manifests/` in the release image:
 * - `image-references`: an ImageStream (image.openshift.io/v1) whose
 *   `metadata.name` is the version and whose tags name every component
 *   image by digest (`spec.tags[].from.name`, kind DockerImage);
 * - `release-metadata`: `{"kind": "cincinnati-metadata-v0", "version": …}`,
 *   the update graph's view of the same version.
 * Both come from the network (inside an image): they are validated here.
 */

export const IMAGE_REFERENCES_FILE = 'release-manifests/image-references';
export const RELEASE_METADATA_FILE = 'release-manifests/release-metadata';

const ImageStreamSchema = z.object({
  kind: z.literal('ImageStream'),
  apiVersion: z.literal('image.openshift.io/v1'),
  metadata: z.object({ name: z.string().min(1) }),
  spec: z.object({
    tags: z.array(z.object({ name: z.string().min(1), from: z.object({ kind: z.string(), name: z.string() }).optional() })).default([]),
  }),
});

const ReleaseMetadataSchema = z.object({
  kind: z.literal('cincinnati-metadata-v0'),
  version: z.string().min(1),
  previous: z.array(z.string()).optional(),
});

/** One component of a release: its name (the ImageStream tag) and its image, by digest. */
export interface ReleaseComponent {
  name: string;
  image: ImageReference & { digest: NonNullable<ImageReference['digest']> };
}

export interface ImageReferences {
  /** `metadata.name`: the release version, e.g. `4.3.0`. */
  version: string;
  components: ReleaseComponent[];
}

export interface ReleaseMetadata {
  version: string;
  previous: string[];
}

function invalid(where: string, detail: string): FerryError {
  return new FerryError('INVALID_MANIFEST', `${where}: ${detail}`, { hint: 'this image is not an OpenShift release payload, or its payload is damaged' });
}

function schemaIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const at = issue ? issue.path.map(String).join('.') : '';
  return `${at === '' ? '' : `${at}: `}${issue?.message ?? 'invalid'}`;
}

/**
 * Parses `release-manifests/image-references`. Components whose `from` is
 * not a DockerImage are left out, as oc leaves them; one that names an image
 * by tag, not digest, is refused (a release pins every image).
 *
 * @throws FerryError `INVALID_MANIFEST` naming `where` and what is wrong.
 */
export function parseImageReferences(bytes: Uint8Array, where: string): ImageReferences {
  const json = parseJson(bytes, (detail) => invalid(where, `not JSON (${detail})`));
  const parsed = ImageStreamSchema.safeParse(json);
  if (!parsed.success) throw invalid(where, schemaIssue(parsed.error));
  const version = parsed.data.metadata.name;
  if (!isValidTag(version)) throw invalid(where, `version "${version}" cannot be a tag`);
  const components: ReleaseComponent[] = [];
  const seen = new Set<string>();
  for (const tag of parsed.data.spec.tags) {
    if (tag.from?.kind !== 'DockerImage') continue;
    if (seen.has(tag.name)) throw invalid(where, `component "${tag.name}" is listed twice`);
    seen.add(tag.name);
    if (!isValidTag(`${version}-${tag.name}`)) throw invalid(where, `component name "${tag.name}" cannot be part of a tag`);
    let image: ImageReference;
    try {
      image = parseReference(tag.from.name);
    } catch (error) {
      throw invalid(where, `component "${tag.name}": ${error instanceof FerryError ? error.message : String(error)}`);
    }
    if (image.digest === undefined || image.tag !== undefined) {
      throw invalid(where, `component "${tag.name}" names ${tag.from.name}; a release names its images by digest only`);
    }
    components.push({ name: tag.name, image: { registry: image.registry, repository: image.repository, digest: image.digest } });
  }
  return { version, components };
}

/**
 * Parses `release-manifests/release-metadata`.
 *
 * @throws FerryError `INVALID_MANIFEST` naming `where` and what is wrong.
 */
export function parseReleaseMetadata(bytes: Uint8Array, where: string): ReleaseMetadata {
  const json = parseJson(bytes, (detail) => invalid(where, `not JSON (${detail})`));
  const parsed = ReleaseMetadataSchema.safeParse(json);
  if (!parsed.success) throw invalid(where, schemaIssue(parsed.error));
  return { version: parsed.data.version, previous: parsed.data.previous ?? [] };
}
