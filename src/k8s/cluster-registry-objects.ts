import { Agent, type Dispatcher } from 'undici';
import { z } from 'zod';
import { FerryError, abortError } from '../errors.ts';
import type { ClusterConnection } from './kubeconfig.ts';
import type { ClusterObject } from './registry-info.ts';

/**
 * Reads, from a live cluster's API server, the objects registry-info.ts
 * looks at. Each is a GET of one named object (a 404 means the cluster has
 * none: OpenShift 3, a registry without a route, plain Kubernetes), plus
 * one ImageStream of namespace `openshift` as the last resort `oc registry
 * info` also uses.
 */

/** API paths, in the order registry-info prefers what they tell. */
export const REGISTRY_OBJECT_PATHS: readonly string[] = [
  '/apis/config.openshift.io/v1/images/cluster',
  '/api/v1/namespaces/openshift-image-registry/services/image-registry',
  '/apis/route.openshift.io/v1/namespaces/openshift-image-registry/routes/default-route',
  '/apis/imageregistry.operator.openshift.io/v1/configs/cluster',
  '/api/v1/namespaces/default/services/docker-registry',
  '/apis/route.openshift.io/v1/namespaces/default/routes/docker-registry',
  '/apis/image.openshift.io/v1/namespaces/openshift/imagestreams?limit=1',
];

/** API answers are small objects; anything larger is not what was asked for. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
/** An API server that does not answer within this is not worth waiting for. */
const REQUEST_TIMEOUT_MS = 30_000;

const ApiObject = z.looseObject({
  kind: z.string(),
  apiVersion: z.string().optional(),
  metadata: z.looseObject({ name: z.string().optional(), namespace: z.string().optional() }).optional(),
  items: z.array(z.unknown()).optional(),
});

function toClusterObjects(value: z.infer<typeof ApiObject>, where: string): ClusterObject[] {
  if (value.kind.endsWith('List')) {
    return (value.items ?? []).flatMap((item) => {
      const parsed = ApiObject.safeParse(item);
      // Items of a typed list carry no kind: the list's kind says it.
      const kind = parsed.success ? parsed.data.kind : value.kind.slice(0, -'List'.length);
      const meta = (item as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
      return [{ kind, apiVersion: value.apiVersion, namespace: typeof meta?.namespace === 'string' ? meta.namespace : undefined, name: typeof meta?.name === 'string' ? meta.name : undefined, body: item, where }];
    });
  }
  return [{ kind: value.kind, apiVersion: value.apiVersion, namespace: value.metadata?.namespace, name: value.metadata?.name, body: value, where }];
}

async function readBody(body: Dispatcher.ResponseData['body'], where: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy();
      throw new FerryError('REGISTRY', `${where}: the API server sent more than ${MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Fetches the registry objects the connection may read.
 *
 * @throws FerryError `UNAUTHORIZED` when the API server rejects the credentials, `TLS`/`NETWORK` when it cannot be
 *   reached, `REGISTRY` for an answer that is not a Kubernetes object.
 */
export async function fetchRegistryObjects(connection: ClusterConnection, options: { signal?: AbortSignal | undefined } = {}): Promise<{ objects: ClusterObject[]; notes: string[] }> {
  const agent = new Agent({
    connect: {
      rejectUnauthorized: !connection.insecureSkipTlsVerify,
      ...(connection.ca !== undefined ? { ca: connection.ca } : {}),
      ...(connection.cert !== undefined ? { cert: connection.cert, key: connection.key } : {}),
      ...(connection.servername !== undefined ? { servername: connection.servername } : {}),
      timeout: REQUEST_TIMEOUT_MS,
    },
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'ferry' };
  if (connection.token !== undefined) headers['authorization'] = `Bearer ${connection.token}`;
  else if (connection.username !== undefined) headers['authorization'] = `Basic ${Buffer.from(`${connection.username}:${connection.password ?? ''}`).toString('base64')}`;
  const objects: ClusterObject[] = [];
  const notes: string[] = [];
  try {
    for (const path of REGISTRY_OBJECT_PATHS) {
      // The server may have a path prefix (behind a proxy): the API paths go below it.
      const url = new URL(`${connection.server.replace(/\/+$/, '')}${path}`);
      const where = `GET ${url.href}`;
      let res: Dispatcher.ResponseData;
      try {
        res = await agent.request({ origin: url.origin, path: url.pathname + url.search, method: 'GET', headers, signal: options.signal ?? null });
      } catch (cause) {
        if (options.signal?.aborted) throw abortError(options.signal);
        const code = (cause as { code?: string }).code ?? (cause as Error).message;
        const tls = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL/.test(code);
        throw new FerryError(tls ? 'TLS' : 'NETWORK', `cannot reach the API server of context ${connection.context}: ${where}: ${code}`, {
          cause,
          hint: tls ? 'the kubeconfig must hold the cluster CA (certificate-authority-data) or insecure-skip-tls-verify: true' : 'check the server address in the kubeconfig',
        });
      }
      const body = await readBody(res.body, where);
      if (res.statusCode === 404) continue;
      if (res.statusCode === 401) {
        throw new FerryError('UNAUTHORIZED', `the API server of context ${connection.context} rejected the credentials (${where} → 401)`, { hint: 'log in again (oc login) or give a valid token in the kubeconfig' });
      }
      if (res.statusCode === 403) {
        notes.push(`not allowed to read ${url.pathname} (403); its part of the answer is missing`);
        continue;
      }
      if (res.statusCode < 200 || res.statusCode >= 300) throw new FerryError('REGISTRY', `${where} → ${res.statusCode}`);
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        throw new FerryError('REGISTRY', `${where}: the answer is not JSON`);
      }
      const parsed = ApiObject.safeParse(json);
      if (!parsed.success) throw new FerryError('REGISTRY', `${where}: the answer is not a Kubernetes object`);
      objects.push(...toClusterObjects(parsed.data, where));
    }
  } finally {
    await agent.close();
  }
  return { objects, notes };
}
