import { FerryError } from '../../errors.ts';
import { isRecord, parseJson } from '../../util/json.ts';
import { readBounded, type RegistryClient } from './registry-client.ts';
import { nextLink } from './registry-repository.ts';

/** Pages of `_catalog` followed at most (a loop guard). */
const MAX_CATALOG_PAGES = 10_000;

/**
 * Every repository a registry lists at `GET /v2/_catalog`, following Link
 * pagination. Registries that do not offer it (Docker Hub) answer 401/404,
 * which is reported with a hint to name repositories explicitly.
 */
export async function listCatalog(client: RegistryClient, options: { signal?: AbortSignal | undefined } = {}): Promise<string[]> {
  const repositories: string[] = [];
  let path: string | undefined = '/v2/_catalog?n=1000';
  for (let page = 0; path !== undefined && page < MAX_CATALOG_PAGES; page++) {
    const res = await client
      .request({ method: 'GET', path, scopes: [{ type: 'registry', repository: 'catalog', actions: ['*'] }], signal: options.signal, subject: `docker://${client.registry}/_catalog` })
      .catch((err: unknown) => {
        if (err instanceof FerryError && (err.code === 'NOT_FOUND' || err.code === 'UNAUTHORIZED' || err.code === 'DENIED' || err.code === 'UNSUPPORTED')) {
          throw new FerryError(err.code, `${client.registry} does not list its repositories (${err.message})`, {
            cause: err,
            hint: 'name the repositories explicitly instead of a registry-wide pattern',
          });
        }
        throw err;
      });
    const body = parseJson(await readBounded(res.body, 64 * 1024 * 1024), () => new FerryError('REGISTRY', `${client.registry}: the repository catalog is not JSON`));
    const listed = isRecord(body) ? body['repositories'] : undefined;
    if (Array.isArray(listed)) repositories.push(...listed.filter((r): r is string => typeof r === 'string'));
    path = nextLink(res.headers['link'] as string | undefined, res.url);
  }
  return repositories;
}
