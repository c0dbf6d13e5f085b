import { parseReference } from '../ref/reference.ts';
import { RegistryPool } from '../transports/registry/registry-pool.ts';

export interface CheckLoginOptions {
  username: string;
  password: string;
  tlsVerify?: boolean | undefined;
  certDir?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Confirms credentials against a registry's `/v2/` endpoint (through the
 * token flow when the registry uses one); throws UNAUTHORIZED when rejected.
 */
export async function checkLogin(registry: string, options: CheckLoginOptions): Promise<void> {
  // Accept `host/namespace` as login keys do: only the host is contacted.
  const host = parseReference(`${registry.split('/')[0]}/probe`).registry;
  const pool = new RegistryPool();
  try {
    const client = await pool.client(host, { username: options.username, password: options.password, tlsVerify: options.tlsVerify, certDir: options.certDir, retry: { retries: 1, baseDelayMs: 500, maxDelayMs: 5000 } });
    const res = await client.request({ method: 'GET', path: '/v2/', scopes: [], signal: options.signal, subject: `registry ${host}` });
    await res.body.dump();
  } finally {
    await pool.close();
  }
}

/** Storing and removing credentials in the auth file (`ferry login`, `ferry logout`). */
export { login, logout, type LoginOptions, type LogoutOptions } from '../transports/registry/auth/login.ts';
