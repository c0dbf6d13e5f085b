import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import type { AfterHook } from './cleanup.ts';

/**
 * A plain static file server over a directory, on loopback: what a lookaside
 * web server or a release signature store is. GET of a file answers 200 with
 * its bytes, anything missing 404, a path that leaves the directory 403.
 * Stopped after `t`.
 */
export async function serveDirectory(dir: string, t: AfterHook): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const path = normalize(join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(dir)) return void res.writeHead(403).end();
    readFile(path).then((body) => res.writeHead(200).end(body), () => res.writeHead(404).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}
