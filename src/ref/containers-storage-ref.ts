import { FerryError } from '../errors.ts';
import { familiarString, parseReference, withDefaultTag, type ImageReference } from './reference.ts';

/**
 * Which containers/storage store, as skopeo's `[DRIVER@ROOT+RUNROOT:OPTIONS]`
 * prefix names it; every part is optional and unset parts come from
 * storage.conf (`$CONTAINERS_STORAGE_CONF`, `/etc/containers/storage.conf`,
 * rootless `~/.config/containers/storage.conf`).
 */
export interface StorageSpec {
  driver?: string | undefined;
  /** Absolute graph root (`--root`). */
  root?: string | undefined;
  /** Absolute run root (`--runroot`). */
  runRoot?: string | undefined;
  /** Driver options (`--storage-opt`), as written after the `:`. */
  options?: string[] | undefined;
}

/**
 * An image in containers/storage (Podman, Buildah, CRI-O), skopeo's
 * `containers-storage:[STORE]NAME[:TAG][@DIGEST][@ID]`, `[STORE]@ID` or a bare
 * 64-hex ID. A name without tag or digest means `:latest`; names are
 * normalised as skopeo does (`app` is `docker.io/library/app`; Podman names
 * images it built `localhost/app`).
 */
export interface StorageImage {
  store?: StorageSpec | undefined;
  ref?: ImageReference | undefined;
  /** Full image ID (64 hex, no algorithm), which is the config digest's hex. */
  id?: string | undefined;
}

const HEX_ID_RE = /^[0-9a-f]{64}$/;
const EXAMPLE = 'e.g. containers-storage:app:1.0, containers-storage:[vfs@/var/lib/containers/storage+/run/containers/storage]app:1.0 or containers-storage:<64 hex image ID>';

function invalid(input: string, rule: string, cause?: unknown): FerryError {
  return new FerryError('INVALID_REFERENCE', `invalid transport reference "containers-storage:${input}": ${rule}`, { hint: EXAMPLE, cause });
}

function parseStore(input: string, spec: string): StorageSpec {
  if (spec === '') throw invalid(input, 'the store specification in [] is empty');
  const at = spec.indexOf('@');
  const driver = at === -1 ? undefined : spec.slice(0, at);
  let rest = at === -1 ? spec : spec.slice(at + 1);
  if (driver === '' || rest === '') throw invalid(input, 'write [DRIVER@ROOT], with both parts, or just [ROOT]');
  let options: string[] | undefined;
  const colon = rest.indexOf(':');
  if (colon !== -1) {
    options = rest.slice(colon + 1).split(',');
    rest = rest.slice(0, colon);
  }
  const plus = rest.indexOf('+');
  const root = plus === -1 ? rest : rest.slice(0, plus);
  const runRoot = plus === -1 ? '' : rest.slice(plus + 1);
  for (const [what, path] of [['ROOT', root], ['RUNROOT', runRoot]] as const) {
    if (path !== '' && !path.startsWith('/')) throw invalid(input, `${what} "${path}" must be an absolute path`);
  }
  return {
    ...(driver !== undefined ? { driver } : {}),
    ...(root !== '' ? { root } : {}),
    ...(runRoot !== '' ? { runRoot } : {}),
    ...(options !== undefined ? { options } : {}),
  };
}

/**
 * Splits a leading `[STORE]` off what follows `containers-storage:`.
 * @throws FerryError `INVALID_REFERENCE` for an unclosed or malformed store specification.
 */
export function splitStorageSpec(text: string): { store?: StorageSpec | undefined; rest: string } {
  if (!text.startsWith('[')) return { rest: text };
  const close = text.indexOf(']');
  if (close === -1) throw invalid(text, 'the store specification "[" is not closed with "]"');
  return { store: parseStore(text, text.slice(1, close)), rest: text.slice(close + 1) };
}

/**
 * Parses what follows `containers-storage:`.
 * @throws FerryError `INVALID_REFERENCE` for an empty reference, an unclosed or
 * malformed store specification, relative store paths, or a malformed name or ID.
 */
export function parseStorageImage(text: string): StorageImage {
  const split = splitStorageSpec(text);
  const { store } = split;
  let rest = split.rest;
  if (rest === '') throw invalid(text, 'the image reference is empty');
  let id: string | undefined;
  const lastAt = rest.lastIndexOf('@');
  if (lastAt !== -1) {
    const tail = rest.slice(lastAt + 1);
    if (tail === '') throw invalid(text, 'nothing follows the last "@"');
    // A trailing digest (`@sha256:…`) belongs to the name; a bare 64-hex value is an image ID.
    if (!tail.includes(':')) {
      if (!HEX_ID_RE.test(tail)) throw invalid(text, `"${tail}" is neither a digest nor a full 64-hex image ID`);
      id = tail;
      rest = rest.slice(0, lastAt);
    }
  } else if (HEX_ID_RE.test(rest)) {
    return { ...(store ? { store } : {}), id: rest };
  }
  if (rest === '') return { ...(store ? { store } : {}), id };
  let ref: ImageReference;
  try {
    ref = withDefaultTag(parseReference(rest));
  } catch (error) {
    throw invalid(text, error instanceof FerryError ? error.message : String(error), error);
  }
  return { ...(store ? { store } : {}), ref, ...(id !== undefined ? { id } : {}) };
}

/** `[DRIVER@ROOT+RUNROOT:OPTIONS]`, or '' when no part is set. */
export function formatStorageSpec(store: StorageSpec | undefined): string {
  if (!store || (store.driver === undefined && store.root === undefined && store.runRoot === undefined && store.options === undefined)) return '';
  const driver = store.driver !== undefined ? `${store.driver}@` : '';
  const runRoot = store.runRoot !== undefined ? `+${store.runRoot}` : '';
  const options = store.options !== undefined ? `:${store.options.join(',')}` : '';
  return `[${driver}${store.root ?? ''}${runRoot}${options}]`;
}

/** The inverse of {@link parseStorageImage}, names in familiar form. */
export function formatStorageImage(image: StorageImage): string {
  const name = image.ref !== undefined ? familiarString(image.ref) : '';
  const id = image.id !== undefined ? (name === '' && image.store === undefined ? image.id : `@${image.id}`) : '';
  return `${formatStorageSpec(image.store)}${name}${id}`;
}
