import { request } from 'node:http';

/** One GET of `path` over a unix socket: true when it answers 200, false for any other answer or none (yet). */
export function pingSocket(socketPath: string, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
