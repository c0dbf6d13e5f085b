import { isAlias, isMap, isScalar, isSeq, type Document, type Scalar } from 'yaml';
import { scalarString, type ResourceObject } from './resource-files.ts';

/**
 * Where images live in Kubernetes and OpenShift objects. The table below is
 * the whole knowledge of which kinds carry pod templates; everything else
 * (scan, rewrite, sync-gen) goes through {@link findImageFields}.
 */

/** What an image field is used for. */
export type ImageRole =
  | 'container'
  | 'initContainer'
  | 'ephemeralContainer'
  | 'buildFrom' // BuildConfig strategy base / builder image
  | 'buildSourceImage' // BuildConfig spec.source.images[].from (files copied from an image)
  | 'buildOutput' // BuildConfig spec.output.to
  | 'imageStreamSpecTag' // ImageStream spec.tags[].from
  | 'imageStreamStatusItem' // ImageStream status.tags[].items[].dockerImageReference
  | 'imageStreamTagImage' // ImageStreamTag image.dockerImageReference
  | 'imageStreamTagFrom'; // ImageStreamTag tag.from

/**
 * How the field names its image: a pull spec (`DockerImage`), or an OpenShift
 * object (`ImageStreamTag` `stream:tag`, `ImageStreamImage` `stream@digest`).
 * Only `DockerImage` values are registry references that rewrite may change.
 */
export type ImageRefKind = 'DockerImage' | 'ImageStreamTag' | 'ImageStreamImage';

/** One image field found in an object. */
export interface ImageField {
  object: ResourceObject;
  /** Path from the document root, e.g. `['spec','template','spec','containers',0,'image']`. */
  path: (string | number)[];
  /** The scalar holding the value (for object references: the `name` scalar). */
  node: Scalar;
  /**
   * The image as written for `DockerImage`; for `ImageStreamTag`/`ImageStreamImage`
   * the object name qualified by its namespace (`ns/stream:tag`) when one is known.
   */
  image: string;
  refKind: ImageRefKind;
  role: ImageRole;
}

// Path from the object root to its PodSpec, per kind.
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  DeploymentConfig: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

const CONTAINER_LISTS: readonly [string, ImageRole][] = [
  ['initContainers', 'initContainer'],
  ['containers', 'container'],
  ['ephemeralContainers', 'ephemeralContainer'],
];

// Builds are BuildConfig-shaped (same spec); reporting them costs nothing.
const BUILD_KINDS = new Set(['BuildConfig', 'Build']);
const BUILD_STRATEGIES = ['dockerStrategy', 'sourceStrategy', 'customStrategy'];
const REF_KINDS = new Set<string>(['DockerImage', 'ImageStreamTag', 'ImageStreamImage']);

/** Every image field of one object, in document order within each category. */
export function findImageFields(doc: Document.Parsed, object: ResourceObject): ImageField[] {
  const out: ImageField[] = [];
  const at = (node: unknown, ...keys: (string | number)[]): unknown => {
    let current = node;
    for (const key of keys) {
      current = resolve(doc, current);
      if (isMap(current)) current = current.get(key, true);
      else if (isSeq(current) && typeof key === 'number') current = current.items[key];
      else return undefined;
    }
    return resolve(doc, current);
  };
  const push = (path: (string | number)[], node: unknown, refKind: ImageRefKind, role: ImageRole, ns?: string) => {
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') return;
    let image = node.value;
    if (refKind !== 'DockerImage' && ns !== undefined && !image.includes('/')) image = `${ns}/${image}`;
    out.push({ object, path: [...object.path, ...path], node, image, refKind, role });
  };
  // An ObjectReference {kind, name, namespace} naming an image.
  const pushRef = (path: (string | number)[], role: ImageRole) => {
    const ref = at(object.node, ...path);
    const kind = scalarString(at(ref, 'kind'));
    if (kind === undefined || !REF_KINDS.has(kind)) return;
    const ns = scalarString(at(ref, 'namespace')) ?? object.namespace;
    push([...path, 'name'], at(ref, 'name'), kind as ImageRefKind, role, ns);
  };
  const each = (path: (string | number)[], fn: (index: number) => void) => {
    const seq = at(object.node, ...path);
    if (isSeq(seq)) for (let i = 0; i < seq.items.length; i++) fn(i);
  };

  const podSpec = POD_SPEC_PATHS[object.kind];
  if (podSpec) {
    for (const [list, role] of CONTAINER_LISTS) {
      each([...podSpec, list], (i) => {
        const path = [...podSpec, list, i, 'image'];
        push(path, at(object.node, ...path), 'DockerImage', role);
      });
    }
  }
  if (BUILD_KINDS.has(object.kind)) {
    for (const strategy of BUILD_STRATEGIES) pushRef(['spec', 'strategy', strategy, 'from'], 'buildFrom');
    each(['spec', 'source', 'images'], (i) => pushRef(['spec', 'source', 'images', i, 'from'], 'buildSourceImage'));
    pushRef(['spec', 'output', 'to'], 'buildOutput');
  }
  if (object.kind === 'ImageStream') {
    each(['spec', 'tags'], (i) => pushRef(['spec', 'tags', i, 'from'], 'imageStreamSpecTag'));
    each(['status', 'tags'], (i) =>
      each(['status', 'tags', i, 'items'], (j) => {
        const path = ['status', 'tags', i, 'items', j, 'dockerImageReference'];
        push(path, at(object.node, ...path), 'DockerImage', 'imageStreamStatusItem');
      }),
    );
  }
  if (object.kind === 'ImageStreamTag') {
    const path = ['image', 'dockerImageReference'];
    push(path, at(object.node, ...path), 'DockerImage', 'imageStreamTagImage');
    pushRef(['tag', 'from'], 'imageStreamTagFrom');
  }
  return out;
}

// Anchored values (`image: *base`) are followed to the node that holds them.
function resolve(doc: Document.Parsed, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/** `spec.template.spec.containers[0].image` for a path. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? key : `.${key}`;
  }
  return out;
}
