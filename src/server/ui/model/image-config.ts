import { Writable } from 'node:stream';
import { z } from 'zod';
import type { Descriptor, Platform } from '../../../oci/descriptor.ts';
import { digestAlgorithm, digestOf, type Digest } from '../../../oci/digest.ts';
import type { BackendCallOptions, RegistryBackend } from '../../backend/registry-backend.ts';

/** Largest config the UI reads; real ones are kilobytes (a long history makes tens). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Config summaries kept in memory (a few dozen bytes each). */
const MAX_CACHED = 50_000;

const strings = z.array(z.string()).nullish();

/** The fields of an image config the UI shows; anything else stays in the raw JSON. */
const ConfigSchema = z.object({
  created: z.string().optional(),
  author: z.string().optional(),
  architecture: z.string().optional(),
  os: z.string().optional(),
  variant: z.string().optional(),
  config: z.object({
    User: z.string().optional(),
    Env: strings,
    Entrypoint: strings,
    Cmd: strings,
    WorkingDir: z.string().optional(),
    Labels: z.record(z.string(), z.string()).nullish(),
    ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
    Volumes: z.record(z.string(), z.unknown()).nullish(),
    StopSignal: z.string().optional(),
  }).nullish(),
  history: z.array(z.object({
    created: z.string().optional(),
    created_by: z.string().optional(),
    comment: z.string().optional(),
    empty_layer: z.boolean().optional(),
  })).nullish(),
});

/** An image config as the UI shows it. */
export type ImageConfig = z.infer<typeof ConfigSchema>;

/** What a repository listing needs from a config. */
export interface ConfigSummary {
  created?: string | undefined;
  platform?: Platform | undefined;
}

/** A blob's bytes, or why there are none. */
export type BlobRead = { bytes: Buffer } | { problem: string };

/**
 * Reads a small blob (a config) through the backend and checks it against
 * its descriptor's digest and size before anyone looks at it.
 */
export async function readConfigBlob(backend: RegistryBackend, repository: string, descriptor: Descriptor, options: BackendCallOptions & { maxBytes: number }): Promise<BlobRead> {
  const info = await backend.blobs.stat(repository, descriptor.digest, options);
  if (!info) return { problem: `blob ${descriptor.digest} is not in the store` };
  if (info.size > options.maxBytes) return { problem: `blob ${descriptor.digest} is ${info.size} bytes, more than the ${options.maxBytes} shown here` };
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      // Copied: a backend may reuse its buffer once the write is acknowledged.
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  if (info.size > 0) await backend.blobs.copyRange(repository, descriptor.digest, { start: 0, end: info.size - 1 }, sink, options);
  sink.end();
  const bytes = Buffer.concat(chunks);
  if (bytes.byteLength !== descriptor.size) return { problem: `blob ${descriptor.digest} is ${bytes.byteLength} bytes, its descriptor says ${descriptor.size}` };
  if (digestOf(bytes, digestAlgorithm(descriptor.digest)) !== descriptor.digest) return { problem: `blob ${descriptor.digest} does not match its digest` };
  return { bytes };
}

/** Parses config bytes; a config that is not JSON or not shaped like one gives a problem instead. */
export function parseConfigView(bytes: Buffer): { config: ImageConfig } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { problem: 'the config is not valid JSON' };
  }
  const parsed = ConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { problem: `the config does not look like an image config${issue ? ` (${issue.path.map(String).join('.')}: ${issue.message})` : ''}` };
  }
  return { config: parsed.data };
}

/** Config summaries by digest (content never changes); concurrent asks share a read. */
export class ConfigSummaries {
  readonly #backend: RegistryBackend;
  readonly #cache = new Map<Digest, Promise<ConfigSummary>>();

  constructor(backend: RegistryBackend) {
    this.#backend = backend;
  }

  /** Created date and platform of config `descriptor` of `repository`; empty when it cannot be read (not remembered then). */
  get(repository: string, descriptor: Descriptor): Promise<ConfigSummary> {
    const cached = this.#cache.get(descriptor.digest);
    if (cached) return cached;
    const reading = this.#read(repository, descriptor);
    if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
    this.#cache.set(descriptor.digest, reading);
    return reading;
  }

  async #read(repository: string, descriptor: Descriptor): Promise<ConfigSummary> {
    const forget = (): ConfigSummary => {
      this.#cache.delete(descriptor.digest);
      return {};
    };
    let read: BlobRead;
    try {
      read = await readConfigBlob(this.#backend, repository, descriptor, { maxBytes: MAX_CONFIG_BYTES });
    } catch {
      return forget();
    }
    if ('problem' in read) return forget();
    const parsed = parseConfigView(read.bytes);
    if ('problem' in parsed) return {};
    const { created, os, architecture, variant } = parsed.config;
    return {
      created,
      platform: os !== undefined && architecture !== undefined ? { os, architecture, ...(variant !== undefined ? { variant } : {}) } : undefined,
    };
  }
}
