import type { AccessOptions } from '../../repository/access.ts';
import type { RetryPolicy } from '../../util/retry.ts';
import type { RegistryOptions } from '../config/sync-spec.ts';

/**
 * Turns spec settings into registry access for the client. Identical settings
 * map to the same object, so the registry pool shares one client (and its
 * connections and tokens) between them.
 */
export class AccessCache {
  private readonly cache = new Map<string, AccessOptions>();
  private readonly base: AccessOptions;
  private readonly retry: RetryPolicy;

  constructor(base: AccessOptions, retry: RetryPolicy) {
    this.base = base;
    this.retry = retry;
  }

  access(options: RegistryOptions): AccessOptions {
    const c = options.credentials;
    const access: AccessOptions = { ...this.base, retry: this.retry };
    if (c?.kind === 'basic') {
      access.username = c.username;
      access.password = c.password.reveal();
    } else if (c?.kind === 'token') access.registryToken = c.token.reveal();
    else if (c?.kind === 'anonymous') access.noCreds = true;
    else if (c?.kind === 'identity-token') access.identityToken = c.token.reveal();
    if (options.authFile !== undefined) access.authFile = options.authFile;
    if (options.tlsVerify !== undefined) access.tlsVerify = options.tlsVerify;
    if (options.certDir !== undefined) access.certDir = options.certDir;
    if (options.maxConcurrency !== undefined) access.maxConnections = options.maxConcurrency;
    if (options.requestsPerSecond !== undefined) access.requestsPerSecond = options.requestsPerSecond;
    if (options.bandwidth !== undefined) access.bandwidth = options.bandwidth;
    // The key holds secrets only in memory, to tell settings apart; it is never printed.
    const key = JSON.stringify([access.username, access.password, access.registryToken, access.identityToken, access.noCreds, access.authFile, access.tlsVerify, access.certDir, access.maxConnections, access.requestsPerSecond, access.bandwidth, access.creds]);
    let cached = this.cache.get(key);
    if (!cached) this.cache.set(key, (cached = access));
    return cached;
  }
}
