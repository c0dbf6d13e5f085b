import { FerryError, throwIfAborted } from '../errors.ts';
import { isRecord } from '../util/json.ts';
import type { KubernetesObject } from './release-manifests.ts';

/**
 * `--apply-manifests`: puts objects into the cluster of the current
 * kubeconfig with server-side apply, through @kubernetes/client-node (its
 * kubeconfig loading, auth plugins and API discovery). An object that
 * already exists is left alone with a warning unless `overwrite`, which
 * applies it with `force` (taking over fields another manager owns).
 */

/** The field manager server-side apply records for ferry's fields. */
export const FIELD_MANAGER = 'ferry';

export interface ApplyManifestsOptions {
  /** A kubeconfig file (`--kubeconfig`); default `KUBECONFIG`, then `~/.kube/config`, then in-cluster. */
  kubeconfig?: string | undefined;
  /** A context of the kubeconfig other than the current one. */
  context?: string | undefined;
  overwrite?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** What became of one object: `applied`, `exists` (left alone: no overwrite), or `unknown-kind` (the cluster does not serve it, e.g. an IDMS before 4.13). */
export interface AppliedManifest {
  kind: string;
  name: string;
  namespace?: string | undefined;
  result: 'applied' | 'exists' | 'unknown-kind';
}

/** The status a Kubernetes API error carries, or undefined for errors that are not API answers. */
function statusOf(error: unknown): { code: number; message: string } | undefined {
  if (!isRecord(error) || typeof error['code'] !== 'number') return undefined;
  const body = error['body'];
  let message: string | undefined;
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      if (isRecord(parsed) && typeof parsed['message'] === 'string') message = parsed['message'];
    } catch {
      // Not a Status object: the code says enough.
    }
  } else if (isRecord(body) && typeof body['message'] === 'string') message = body['message'];
  return { code: error['code'], message: message ?? `HTTP ${error['code']}` };
}

function describe(object: KubernetesObject): string {
  return `${object.kind.toLowerCase()}/${object.metadata.name}${object.metadata.namespace !== undefined ? ` in ${object.metadata.namespace}` : ''}`;
}

function apiError(object: KubernetesObject, server: string, error: unknown): FerryError {
  const status = statusOf(error);
  const what = `cannot apply ${describe(object)} to ${server}`;
  if (status === undefined) return new FerryError('NETWORK', `${what}: ${(error as Error).message}`, { cause: error, retryable: true });
  if (status.code === 401) return new FerryError('UNAUTHORIZED', `${what}: ${status.message}`, { hint: 'log in again (oc login) or check the kubeconfig\'s credentials' });
  if (status.code === 403) return new FerryError('DENIED', `${what}: ${status.message}`, { hint: 'the user needs to create and patch this kind (cluster-admin does)' });
  return new FerryError('REGISTRY', `${what}: ${status.message}`, { cause: error, retryable: status.code >= 500 });
}

/**
 * Applies `objects` in order. Each is read first: one that exists is
 * skipped unless `overwrite`; one whose kind the cluster does not serve is
 * skipped too (both reported in the result, for the caller to warn).
 *
 * @throws FerryError `USAGE` without a usable kubeconfig; `UNAUTHORIZED`, `DENIED`, `NETWORK` or `REGISTRY` when the API refuses.
 */
export async function applyManifests(objects: readonly KubernetesObject[], options: ApplyManifestsOptions = {}): Promise<AppliedManifest[]> {
  // Loaded here: the client and its dependencies are only needed when applying.
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  try {
    if (options.kubeconfig !== undefined) config.loadFromFile(options.kubeconfig);
    else config.loadFromDefault();
    if (options.context !== undefined) config.setCurrentContext(options.context);
  } catch (error) {
    throw new FerryError('USAGE', `cannot load the kubeconfig${options.kubeconfig !== undefined ? ` ${options.kubeconfig}` : ''}: ${(error as Error).message}`, {
      hint: 'give --kubeconfig FILE or set KUBECONFIG (oc login writes ~/.kube/config)',
    });
  }
  const cluster = config.getCurrentCluster();
  if (cluster === null) {
    throw new FerryError('USAGE', 'the kubeconfig has no current cluster', { hint: 'give --kubeconfig FILE or set KUBECONFIG (oc login writes ~/.kube/config)' });
  }
  const client = k8s.KubernetesObjectApi.makeApiClient(config);
  const results: AppliedManifest[] = [];
  for (const object of objects) {
    throwIfAborted(options.signal);
    const base = { kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace };
    // The client fills in what it does not get; it is handed a copy.
    const header = { apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata.name, ...(object.metadata.namespace !== undefined ? { namespace: object.metadata.namespace } : {}) } };
    let exists: boolean;
    try {
      await client.read(header);
      exists = true;
    } catch (error) {
      // The client's discovery: a group the cluster lacks answers 404, a kind it lacks is not listed.
      if (error instanceof Error && (error.message.startsWith('Unrecognized API version and kind') || (error.message.startsWith('Failed to fetch resource metadata') && statusOf(error)?.code === 404))) {
        results.push({ ...base, result: 'unknown-kind' });
        continue;
      }
      if (statusOf(error)?.code !== 404) throw apiError(object, cluster.server, error);
      exists = false;
    }
    if (exists && options.overwrite !== true) {
      results.push({ ...base, result: 'exists' });
      continue;
    }
    try {
      await client.patch(structuredClone(object), undefined, undefined, FIELD_MANAGER, options.overwrite === true ? true : undefined, k8s.PatchStrategy.ServerSideApply);
    } catch (error) {
      throw apiError(object, cluster.server, error);
    }
    results.push({ ...base, result: 'applied' });
  }
  return results;
}
