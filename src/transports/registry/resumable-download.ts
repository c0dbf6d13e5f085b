import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { FerryError, abortError } from '../../errors.ts';
import type { Scope } from './auth-session.ts';
import { headerValue, type RegistryClient, type RegistryResponse } from './registry-client.ts';
import { backoffMs } from '../../util/retry.ts';

export interface ResumableDownloadOptions {
  client: RegistryClient;
  path: string;
  scopes: Scope[];
  /** Expected length: the download is complete when this many bytes arrived. */
  size: number;
  subject: string;
  signal?: AbortSignal | undefined;
}

/**
 * Downloads a blob as a stream. When the connection breaks mid-body it asks
 * again with `Range: bytes=N-` and continues where it stopped (or skips the
 * bytes already delivered if the server ignores Range), up to the client's
 * retry budget. The first request happens before this returns, so a missing
 * blob is reported by the call, not by the stream.
 */
export async function resumableDownload(options: ResumableDownloadOptions): Promise<Readable> {
  const { client, signal } = options;
  const open = (offset: number): Promise<RegistryResponse> =>
    client.request({
      method: 'GET',
      path: options.path,
      scopes: options.scopes,
      signal,
      subject: options.subject,
      ...(offset > 0 ? { headers: { range: `bytes=${offset}-` } } : {}),
    });
  const first = await open(0);

  async function* body(): AsyncGenerator<Buffer> {
    let delivered = 0;
    let response: RegistryResponse | undefined = first;
    let failures = 0;
    while (true) {
      if (response === undefined) {
        response = await open(delivered);
        // 206: the server continues at our offset; 200: it starts over and we skip what we have.
        if (response.status !== 206 && response.status !== 200) {
          throw new FerryError('REGISTRY', `${options.subject}: unexpected status ${response.status} resuming the download`);
        }
        if (response.status === 206) {
          const range = headerValue(response.headers, 'content-range');
          if (range !== undefined && !range.startsWith(`bytes ${delivered}-`)) {
            response.body.destroy();
            throw new FerryError('REGISTRY', `${options.subject}: server resumed at the wrong offset (${range})`);
          }
        }
      }
      let skip = response.status === 200 ? delivered : 0;
      try {
        for await (const raw of response.body) {
          let chunk = raw as Buffer;
          if (skip > 0) {
            const drop = Math.min(skip, chunk.length);
            skip -= drop;
            chunk = chunk.subarray(drop);
            if (chunk.length === 0) continue;
          }
          delivered += chunk.length;
          yield chunk;
        }
        if (delivered >= options.size) return;
        // Closed early without an error: treat as a break and resume.
        throw new FerryError('NETWORK', `${options.subject}: connection closed after ${delivered} of ${options.size} bytes`, { retryable: true });
      } catch (err) {
        response.body.destroy();
        if (signal?.aborted) throw abortError(signal);
        const retryable = err instanceof FerryError ? err.retryable : true;
        if (!retryable || failures >= client.retryPolicy.retries) {
          throw err instanceof FerryError
            ? err
            : new FerryError('NETWORK', `${options.subject}: download broke after ${delivered} of ${options.size} bytes: ${(err as Error).message}`, { cause: err });
        }
        failures++;
        response = undefined;
        await sleep(backoffMs(failures - 1, client.retryPolicy), undefined, { signal }).catch(() => {
          throw abortError(signal);
        });
      }
    }
  }
  return Readable.from(body(), { objectMode: false });
}
