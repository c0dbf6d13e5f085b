import { z } from 'zod';
import { FerryError } from '../../errors.ts';
import { isDigest, type Digest } from '../../oci/digest.ts';

/**
 * What ferry remembers for `--prune`: per destination repository, every name
 * (a registry tag; a ref name in an OCI layout) that a pruning run wrote or
 * found already right, with the digest it left there and the owner — the
 * source repository whose rule selected it. A later run deletes only names
 * recorded here, for owners it ran again, that their rules no longer select,
 * and only while they still hold the recorded digest.
 */

export { STATE_TAG } from './state-tag.ts';
/** artifactType of the state manifest and media type of its one layer. */
export const STATE_MEDIA_TYPE = 'application/vnd.ferry.prune-state.v1+json';
export const STATE_FORMAT = 'ferry-prune-state';
export const STATE_VERSION = 1;
/** A state is a small table; this bounds what a damaged or hostile artifact can make ferry read. */
export const MAX_STATE_BYTES = 64 * 1024 * 1024;

/** One name ferry owns in a destination. */
export interface OwnedName {
  digest: Digest;
  /** The source repository of the rule that wrote it (`docker.io/library/nginx`). */
  owner: string;
}

/** Name → record, for one destination repository. */
export type OwnedNames = Map<string, OwnedName>;

const digest = z.string().refine(isDigest, { message: 'not a valid digest' });
const NamesSchema = z.record(z.string().min(1), z.object({ digest, owner: z.string().min(1) }).strict());
const RepositoryStateSchema = z.object({ format: z.literal(STATE_FORMAT), version: z.literal(STATE_VERSION), names: NamesSchema }).strict();
const StateFileSchema = z.object({ format: z.literal(STATE_FORMAT), version: z.literal(STATE_VERSION), destinations: z.record(z.string().min(1), NamesSchema) }).strict();

function parseJsonText(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new FerryError('CORRUPT', `prune state ${where} is not valid JSON`, { cause, hint: 'remove it; the next --prune run records the names its rules select again' });
  }
}

function invalid(where: string, error: z.ZodError): FerryError {
  const issue = error.issues[0];
  const at = issue ? issue.path.map(String).join('.') : '';
  return new FerryError('CORRUPT', `prune state ${where}: ${at === '' ? '' : `${at}: `}${issue?.message ?? 'invalid'}`, {
    hint: 'it was not written by this version of ferry, or it is damaged; remove it and the next --prune run records the names its rules select again',
  });
}

function toMap(names: Record<string, { digest: string; owner: string }>): OwnedNames {
  return new Map(Object.entries(names).map(([name, r]) => [name, { digest: r.digest as Digest, owner: r.owner }]));
}

function toRecord(names: OwnedNames): Record<string, OwnedName> {
  return Object.fromEntries([...names].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The state of one repository (the artifact's content); `where` names it in errors. */
export function parseRepositoryState(text: string, where: string): OwnedNames {
  const parsed = RepositoryStateSchema.safeParse(parseJsonText(text, where));
  if (!parsed.success) throw invalid(where, parsed.error);
  return toMap(parsed.data.names);
}

/** Stable text (names sorted), so an unchanged state is byte-identical and need not be written again. */
export function serializeRepositoryState(names: OwnedNames): string {
  return `${JSON.stringify({ format: STATE_FORMAT, version: STATE_VERSION, names: toRecord(names) })}\n`;
}

/** A `--state FILE` (or a layout's state file): destination key → names. */
export function parseStateFile(text: string, where: string): Map<string, OwnedNames> {
  const parsed = StateFileSchema.safeParse(parseJsonText(text, where));
  if (!parsed.success) throw invalid(where, parsed.error);
  return new Map(Object.entries(parsed.data.destinations).map(([key, names]) => [key, toMap(names)]));
}

export function serializeStateFile(destinations: ReadonlyMap<string, OwnedNames>): string {
  const sorted = [...destinations].filter(([, names]) => names.size > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${JSON.stringify({ format: STATE_FORMAT, version: STATE_VERSION, destinations: Object.fromEntries(sorted.map(([k, names]) => [k, toRecord(names)])) }, null, 1)}\n`;
}

/** Whether two states record the same names, digests and owners. */
export function sameNames(a: OwnedNames, b: OwnedNames): boolean {
  if (a.size !== b.size) return false;
  for (const [name, r] of a) {
    const other = b.get(name);
    if (!other || other.digest !== r.digest || other.owner !== r.owner) return false;
  }
  return true;
}
