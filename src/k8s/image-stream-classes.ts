import type { Document } from 'yaml';
import { findImageFields } from './image-fields.ts';
import { resourceObjects, type ResourceFile, type ResourceObject } from './resource-files.ts';

/**
 * The four classes of images an OpenShift cluster registry holds, after the
 * crane image-transfer design (konveyor enhancement "crane-image-transfer"):
 * only images that exist nowhere but in the source cluster's registry need
 * copying; the others come back on their own on the destination.
 */
export type ImageClass =
  | 'openshift-internal' // in namespace `openshift`, or a tag whose image lives there: installed with the cluster
  | 'public' // mirrored from another registry: recreated by importing the ImageStreamTag again
  | 'internally-built' // a BuildConfig outputs to the tag
  | 'externally-built'; // pushed into the internal registry from outside

/** The default name of OpenShift 4's internal registry service. */
export const OPENSHIFT4_INTERNAL_REGISTRY = 'image-registry.openshift-image-registry.svc:5000';
/** OpenShift 3's internal registry service, still met in exports of old clusters. */
export const OPENSHIFT3_INTERNAL_REGISTRY = 'docker-registry.default.svc:5000';
export const DEFAULT_INTERNAL_REGISTRIES: readonly string[] = [OPENSHIFT4_INTERNAL_REGISTRY, OPENSHIFT3_INTERNAL_REGISTRY];

/** The decision about one ImageStream tag. */
export interface TagClassification {
  namespace: string;
  stream: string;
  tag: string;
  class: ImageClass;
  /** Whether the tag goes into the sync list. */
  staged: boolean;
  /** One sentence saying why, naming the evidence. */
  reason: string;
  /** Where the ImageStream is defined. */
  file: string;
  line: number;
}

export interface ClassifyOptions {
  /** More internal registry hosts (HOST[:PORT]), added to {@link DEFAULT_INTERNAL_REGISTRIES}. */
  internalRegistries?: readonly string[] | undefined;
}

/** A spec tag's `from`: what it imports (DockerImage) or tracks (ImageStreamTag, ImageStreamImage). */
interface SpecFrom {
  kind: string;
  name: string;
  namespace?: string | undefined;
}

/** The namespace whose images come with the cluster (templates, builder images). */
const CLUSTER_NAMESPACE = 'openshift';

interface StreamInfo {
  namespace: string | undefined;
  name: string;
  file: string;
  line: number;
  // tag → the image the tag currently points at (newest status item), if any
  current: Map<string, string | undefined>;
  // spec tag → what it imports or tracks, if anything
  specFrom: Map<string, SpecFrom | undefined>;
}

/**
 * Classifies every tag of every ImageStream in `files` (spec tags and status
 * tags). Evidence is taken from ImageStreams, ImageStreamTags and
 * BuildConfigs anywhere in the input; the internal registry is recognised by
 * host, from the defaults, `internalRegistries`, and each stream's own
 * `status.dockerImageRepository`. Result order: by namespace, stream, then
 * tag order in the stream.
 */
export function classifyImageStreamTags(files: readonly ResourceFile[], options: ClassifyOptions = {}): TagClassification[] {
  const internal = new Set([...DEFAULT_INTERNAL_REGISTRIES, ...(options.internalRegistries ?? [])].map(lower));
  const streams = new Map<string, StreamInfo>();
  const outputs: BuildOutput[] = [];
  const tagImages = new Map<string, string>(); // "ns/stream:tag" → ImageStreamTag image.dockerImageReference

  for (const resource of files) {
    resource.documents.forEach((doc) => {
      for (const object of resourceObjects(doc)) {
        if (object.kind === 'ImageStream') collectStream(resource, doc, object, streams, internal);
        else if (object.kind === 'BuildConfig') collectBuildOutputs(doc, object, outputs);
        else if (object.kind === 'ImageStreamTag') collectTagImage(doc, object, tagImages);
      }
    });
  }

  // After all streams are read: they may name more internal registry hosts.
  const builtBy = builtTags(outputs, internal);
  const out: TagClassification[] = [];
  const keys = [...streams.keys()].sort();
  for (const key of keys) {
    const stream = streams.get(key)!;
    const tags = new Set([...stream.specFrom.keys(), ...stream.current.keys()]);
    for (const tag of tags) {
      const id = `${stream.namespace ?? ''}/${stream.name}:${tag}`;
      const current = stream.current.get(tag) ?? tagImages.get(id);
      const decision = decide(stream, tag, current, stream.specFrom.get(tag), builtBy.get(id), internal);
      out.push({ namespace: stream.namespace ?? '', stream: stream.name, tag, ...decision, file: stream.file, line: stream.line });
    }
  }
  return out;
}

function decide(
  stream: StreamInfo,
  tag: string,
  current: string | undefined,
  from: SpecFrom | undefined,
  builder: string | undefined,
  internal: ReadonlySet<string>,
): { class: ImageClass; staged: boolean; reason: string } {
  if (stream.namespace === CLUSTER_NAMESPACE) {
    return { class: 'openshift-internal', staged: false, reason: 'namespace openshift holds the images installed with the cluster' };
  }
  // A tag tracking an image of namespace openshift points at the cluster's own copy, whatever its pull spec says (referencePolicy Local rewrites it).
  if ((from?.kind === 'ImageStreamTag' || from?.kind === 'ImageStreamImage') && from.namespace === CLUSTER_NAMESPACE) {
    return { class: 'openshift-internal', staged: false, reason: `spec tag tracks ${from.kind} openshift/${from.name}, an image installed with the cluster` };
  }
  const isInternal = current !== undefined && internal.has(lower(registryHost(current)));
  if (isInternal && current.slice(current.indexOf('/') + 1).startsWith(`${CLUSTER_NAMESPACE}/`)) {
    return { class: 'openshift-internal', staged: false, reason: `image ${current} is in namespace openshift of the internal registry, installed with the cluster` };
  }
  if (builder !== undefined) {
    if (current === undefined) {
      return { class: 'internally-built', staged: false, reason: `${builder} outputs to this tag, but no image has been built yet` };
    }
    return { class: 'internally-built', staged: stream.namespace !== undefined, reason: `${builder} outputs to this tag (image ${current})` + noNamespace(stream) };
  }
  if (current !== undefined && !isInternal) {
    return { class: 'public', staged: false, reason: `image ${current} is outside the internal registry; importing the tag on the destination recreates it` };
  }
  if (current !== undefined) {
    return {
      class: 'externally-built',
      staged: stream.namespace !== undefined,
      reason: `image ${current} is in the internal registry and no BuildConfig outputs to this tag, so it was pushed` + noNamespace(stream),
    };
  }
  if (from?.kind === 'DockerImage') {
    return { class: 'public', staged: false, reason: `spec tag imports ${from.name}, no image imported yet` };
  }
  return { class: 'externally-built', staged: false, reason: `no image recorded for tag ${tag} in status or an ImageStreamTag; nothing to copy` };
}

function noNamespace(stream: StreamInfo): string {
  return stream.namespace === undefined ? '; not staged: the ImageStream has no metadata.namespace' : '';
}

function collectStream(
  resource: ResourceFile,
  doc: Document.Parsed,
  object: ResourceObject,
  streams: Map<string, StreamInfo>,
  internal: Set<string>,
): void {
  if (object.name === undefined) return;
  const key = `${object.namespace ?? ''}/${object.name}`;
  const line = resource.lineCounter.linePos(object.node.range?.[0] ?? 0).line;
  const stream = streams.get(key) ?? { namespace: object.namespace, name: object.name, file: resource.file, line, current: new Map(), specFrom: new Map() };
  streams.set(key, stream);
  const js = object.node.toJS(doc) as Record<string, unknown>;
  const repo = str(get(js, 'status', 'dockerImageRepository'));
  // The stream says where the internal registry is; trust it over defaults.
  if (repo !== undefined && repo.includes('/')) internal.add(lower(repo.slice(0, repo.indexOf('/'))));
  for (const tag of arr(get(js, 'spec', 'tags'))) {
    const name = str(get(tag, 'name'));
    if (name === undefined) continue;
    const kind = str(get(tag, 'from', 'kind'));
    const fromName = str(get(tag, 'from', 'name'));
    // A from without a namespace is in the stream's own namespace.
    const namespace = str(get(tag, 'from', 'namespace')) ?? object.namespace;
    stream.specFrom.set(name, kind !== undefined && fromName !== undefined ? { kind, name: fromName, namespace } : undefined);
  }
  for (const tag of arr(get(js, 'status', 'tags'))) {
    const name = str(get(tag, 'tag'));
    if (name === undefined) continue;
    // status items are newest first: the first is what the tag resolves to now.
    const newest = str(get(arr(get(tag, 'items'))[0], 'dockerImageReference'));
    stream.current.set(name, newest);
  }
}

interface BuildOutput {
  who: string;
  refKind: string;
  image: string;
}

function collectBuildOutputs(doc: Document.Parsed, object: ResourceObject, outputs: BuildOutput[]): void {
  const who = `BuildConfig ${object.namespace !== undefined ? `${object.namespace}/` : ''}${object.name ?? '?'}`;
  for (const field of findImageFields(doc, object)) {
    if (field.role === 'buildOutput') outputs.push({ who, refKind: field.refKind, image: field.image });
  }
}

// "ns/stream:tag" → "BuildConfig ns/name" for every tag a build writes.
function builtTags(outputs: readonly BuildOutput[], internal: ReadonlySet<string>): Map<string, string> {
  const builtBy = new Map<string, string>();
  for (const output of outputs) {
    let target: string | undefined;
    if (output.refKind === 'ImageStreamTag') target = output.image;
    else if (output.refKind === 'DockerImage' && internal.has(lower(registryHost(output.image)))) {
      // A push straight to the internal registry is a push to ns/stream:tag.
      target = output.image.slice(output.image.indexOf('/') + 1).replace(/@.*$/, '');
    }
    if (target === undefined) continue;
    if (!/:[^/]*$/.test(target)) target += ':latest';
    // Streams without a namespace are keyed "/stream"; match that for builds without one.
    if (!target.includes('/')) target = `/${target}`;
    builtBy.set(target, output.who);
  }
  return builtBy;
}

function collectTagImage(doc: Document.Parsed, object: ResourceObject, tagImages: Map<string, string>): void {
  if (object.name === undefined || !object.name.includes(':')) return;
  for (const field of findImageFields(doc, object)) {
    if (field.role === 'imageStreamTagImage') tagImages.set(`${object.namespace ?? ''}/${object.name}`, field.image);
  }
}

/** The registry host of a pull spec, by docker's rule (first component with `.` or `:`, or `localhost`). */
export function registryHost(image: string): string {
  const slash = image.indexOf('/');
  const first = slash === -1 ? '' : image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[') ? first : 'docker.io';
}

function lower(s: string): string {
  return s.toLowerCase();
}

function get(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
