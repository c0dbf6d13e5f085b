import { throwIfAborted } from '../errors.ts';
import { registryHost } from './image-stream-classes.ts';
import { listResourceFiles, loadResourceFile, resourceObjects, type ResourceFileError } from './resource-files.ts';

/**
 * Where an OpenShift cluster's image registry is reachable, as crane's
 * `oc-registry-info` task and `oc registry info` tell it: the internal host
 * (what ImageStreams and workloads name) and the public host (the route a
 * sync from outside the cluster uses). Read from the cluster's own objects:
 * - internal: `images.config.openshift.io/cluster` status.internalRegistryHostname,
 *   else the Service `image-registry` of namespace `openshift-image-registry`
 *   (OpenShift 3: `docker-registry` of `default`), else an ImageStream's
 *   status.dockerImageRepository;
 * - public: the Route `default-route` of `openshift-image-registry`, the
 *   routes of `configs.imageregistry.operator.openshift.io/cluster`, the image
 *   config's status.externalRegistryHostnames (OpenShift 3: Route
 *   `docker-registry` of `default`), else an ImageStream's
 *   status.publicDockerImageRepository.
 */

/** A cluster object with where it came from (`file:line` or an API path). */
export interface ClusterObject {
  kind: string;
  apiVersion?: string | undefined;
  namespace?: string | undefined;
  name?: string | undefined;
  body: unknown;
  where: string;
}

/** A host and the object that told it. */
export interface RegistryHostSource {
  host: string;
  source: string;
}

export interface RegistryInfo {
  internal?: RegistryHostSource | undefined;
  /** The first of {@link publicHosts}. */
  public?: RegistryHostSource | undefined;
  /** Every public name found, best first, each once. */
  publicHosts: RegistryHostSource[];
  /** What is missing and how to fix it. */
  notes: string[];
}

const REGISTRY_NAMESPACE = 'openshift-image-registry';
/** The Service port OpenShift's registry listens on when the Service does not say. */
const DEFAULT_REGISTRY_PORT = 5000;
const ENABLE_ROUTE = `oc patch configs.imageregistry.operator.openshift.io/cluster --patch '{"spec":{"defaultRoute":true}}' --type=merge`;

function get(value: unknown, ...keys: (string | number)[]): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function group(object: ClusterObject): string {
  const api = object.apiVersion ?? '';
  return api.includes('/') ? api.slice(0, api.indexOf('/')) : '';
}

function describe(object: ClusterObject): string {
  return `${object.kind} ${object.namespace !== undefined ? `${object.namespace}/` : ''}${object.name ?? '?'} (${object.where})`;
}

/** Finds the registry hosts among cluster objects (any order, any amount of unrelated ones). */
export function registryInfoFromObjects(objects: readonly ClusterObject[]): RegistryInfo {
  const find = (kind: string, namespace: string | undefined, name: string, apiGroup?: string) =>
    objects.find((o) => o.kind === kind && o.name === name && o.namespace === namespace && (apiGroup === undefined || group(o) === apiGroup));
  const imageConfig = find('Image', undefined, 'cluster', 'config.openshift.io');
  const operatorConfig = find('Config', undefined, 'cluster', 'imageregistry.operator.openshift.io');
  const streams = objects.filter((o) => o.kind === 'ImageStream');

  const internal: RegistryHostSource[] = [];
  const configured = text(get(imageConfig?.body, 'status', 'internalRegistryHostname'));
  if (configured !== undefined) internal.push({ host: configured, source: describe(imageConfig!) });
  for (const [namespace, name] of [[REGISTRY_NAMESPACE, 'image-registry'], ['default', 'docker-registry']] as const) {
    const service = find('Service', namespace, name);
    if (service === undefined) continue;
    const port = get(service.body, 'spec', 'ports', 0, 'port');
    internal.push({ host: `${name}.${namespace}.svc:${typeof port === 'number' ? port : DEFAULT_REGISTRY_PORT}`, source: describe(service) });
  }
  for (const stream of streams) {
    const repo = text(get(stream.body, 'status', 'dockerImageRepository'));
    if (repo?.includes('/')) internal.push({ host: registryHost(repo), source: describe(stream) });
  }

  const publicHosts: RegistryHostSource[] = [];
  const route = (namespace: string, name: string) => {
    const r = find('Route', namespace, name);
    const host = text(get(r?.body, 'spec', 'host')) ?? text(get(r?.body, 'status', 'ingress', 0, 'host'));
    if (host !== undefined) publicHosts.push({ host, source: describe(r!) });
  };
  route(REGISTRY_NAMESPACE, 'default-route');
  for (const r of list(get(operatorConfig?.body, 'spec', 'routes'))) {
    const host = text(get(r, 'hostname'));
    if (host !== undefined) publicHosts.push({ host, source: describe(operatorConfig!) });
  }
  for (const host of list(get(imageConfig?.body, 'status', 'externalRegistryHostnames'))) {
    if (text(host) !== undefined) publicHosts.push({ host: text(host)!, source: describe(imageConfig!) });
  }
  route('default', 'docker-registry');
  for (const stream of streams) {
    const repo = text(get(stream.body, 'status', 'publicDockerImageRepository'));
    if (repo?.includes('/')) publicHosts.push({ host: registryHost(repo), source: describe(stream) });
  }

  const unique = publicHosts.filter((h, i) => publicHosts.findIndex((o) => o.host.toLowerCase() === h.host.toLowerCase()) === i);
  const notes: string[] = [];
  if (internal.length === 0) {
    notes.push(`no internal registry host found: include namespace ${REGISTRY_NAMESPACE} (Service image-registry), images.config.openshift.io/cluster or an ImageStream`);
  }
  if (unique.length === 0) {
    const enabled = get(operatorConfig?.body, 'spec', 'defaultRoute') === true;
    notes.push(
      operatorConfig !== undefined && !enabled
        ? `no public registry host: the registry's default route is not enabled (${describe(operatorConfig)}); enable it with: ${ENABLE_ROUTE}`
        : `no public registry host found: include Route default-route of namespace ${REGISTRY_NAMESPACE}, or enable it with: ${ENABLE_ROUTE}`,
    );
  }
  return { internal: internal[0], public: unique[0], publicHosts: unique, notes };
}

export interface RegistryInfoExportResult {
  info: RegistryInfo;
  /** Files or documents that could not be parsed (the rest were used). */
  errors: ResourceFileError[];
}

/**
 * The registry hosts named by exported resources (crane export output,
 * `oc get -o yaml` of the objects above, or both).
 *
 * @throws FerryError `IO` when a path cannot be read.
 */
export async function registryInfoFromExport(paths: readonly string[], options: { signal?: AbortSignal | undefined } = {}): Promise<RegistryInfoExportResult> {
  const objects: ClusterObject[] = [];
  const errors: ResourceFileError[] = [];
  for (const file of await listResourceFiles(paths, options)) {
    throwIfAborted(options.signal);
    const resource = await loadResourceFile(file, options);
    errors.push(...resource.errors);
    for (const doc of resource.documents) {
      for (const object of resourceObjects(doc)) {
        const apiVersion = object.node.get('apiVersion');
        objects.push({
          kind: object.kind,
          apiVersion: typeof apiVersion === 'string' ? apiVersion : undefined,
          namespace: object.namespace,
          name: object.name,
          body: object.node.toJS(doc),
          where: `${file}:${resource.lineCounter.linePos(object.node.range?.[0] ?? 0).line}`,
        });
      }
    }
  }
  return { info: registryInfoFromObjects(objects), errors };
}

/** Text output: `internal HOST from …`, `public HOST from …`, then `also HOST from …` for other public names. */
export function formatRegistryInfo(info: RegistryInfo): string {
  const rows: [string, RegistryHostSource][] = [];
  if (info.internal) rows.push(['internal', info.internal]);
  info.publicHosts.forEach((h, i) => rows.push([i === 0 ? 'public' : 'also', h]));
  const width = Math.max(0, ...rows.map(([, h]) => h.host.length));
  return rows.map(([label, h]) => `${label.padEnd(8)}  ${h.host.padEnd(width)}  from ${h.source}\n`).join('');
}
