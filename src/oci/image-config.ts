import { FerryError } from '../errors.ts';
import { isRecord, parseJson } from '../util/json.ts';

/** The fields of an image config ferry reads (`inspect`, "newest by created"); the rest is carried untouched. */
export interface ImageConfig {
  created?: string | undefined;
  architecture?: string | undefined;
  variant?: string | undefined;
  os?: string | undefined;
  docker_version?: string | undefined;
  config?: { Labels?: Record<string, string> | null | undefined; Env?: string[] | null | undefined } | null | undefined;
}

function fail(where: string, detail: string): never {
  throw new FerryError('INVALID_MANIFEST', `${where}: image config ${detail}`);
}

/**
 * Parses and checks untrusted config bytes: a JSON object whose fields ferry
 * reads have the types the image spec gives them. `where` names the image.
 *
 * @throws FerryError `INVALID_MANIFEST` saying which field is wrong.
 */
export function parseImageConfig(bytes: Uint8Array, where: string): ImageConfig {
  const json = parseJson(bytes, () => new FerryError('INVALID_MANIFEST', `${where}: image config is not JSON`));
  if (!isRecord(json)) fail(where, 'is not a JSON object');
  for (const field of ['created', 'architecture', 'variant', 'os', 'docker_version'] as const) {
    if (json[field] !== undefined && typeof json[field] !== 'string') fail(where, `field "${field}" is not a string`);
  }
  const config = json['config'];
  if (config !== undefined && config !== null) {
    if (!isRecord(config)) fail(where, 'field "config" is not an object');
    const labels = config['Labels'];
    if (labels !== undefined && labels !== null && (!isRecord(labels) || Object.values(labels).some((v) => typeof v !== 'string'))) {
      fail(where, 'field "config.Labels" is not a map of strings');
    }
    const env = config['Env'];
    if (env !== undefined && env !== null && (!Array.isArray(env) || env.some((v) => typeof v !== 'string'))) fail(where, 'field "config.Env" is not a list of strings');
  }
  return json as ImageConfig;
}
