import type { OpenSession } from '../../repository/open-session.ts';
import type { AccessOptions } from '../../repository/access.ts';
import { credentialProvider } from './access-options.ts';
import { RegistryClient } from './registry-client.ts';
import type { RetryEvent } from '../../util/retry.ts';

/**
 * Shares one client (connections, tokens, learnt HTTP/HTTPS choice) per
 * registry and access settings across every repository a run touches.
 */
export class RegistryPool {
  private readonly clients = new Map<string, Promise<RegistryClient>>();
  private readonly ids = new WeakMap<AccessOptions, number>();
  private nextId = 0;
  private readonly onRetry: ((event: RetryEvent) => void) | undefined;

  constructor(options: { onRetry?: ((event: RetryEvent) => void) | undefined } = {}) {
    this.onRetry = options.onRetry;
  }

  client(registry: string, access: AccessOptions, tlsFlag = '--tls-verify'): Promise<RegistryClient> {
    let id = this.ids.get(access);
    if (id === undefined) this.ids.set(access, (id = this.nextId++));
    const key = `${registry}|${id}`;
    let client = this.clients.get(key);
    if (!client) {
      client = RegistryClient.create({
        registry,
        tls: { verify: access.tlsVerify, certDir: access.certDir },
        tlsFlag,
        credentials: credentialProvider(registry, access),
        retry: access.retry,
        maxConnections: access.maxConnections,
        requestsPerSecond: access.requestsPerSecond,
        bandwidth: access.bandwidth,
        onRetry: this.onRetry,
        env: access.env,
      });
      this.clients.set(key, client);
    }
    return client;
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map(async (c) => (await c.catch(() => undefined))?.close()));
  }
}

/** The registry pool of a session: one per run, closed with the session. */
export function sessionPool(session: OpenSession): RegistryPool {
  return session.shared('docker', () => new RegistryPool({ onRetry: session.onRetry }), (pool) => pool.close());
}
