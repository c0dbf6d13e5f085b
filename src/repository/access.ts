import type { RetryPolicy } from '../util/retry.ts';

/**
 * How to reach a storage, in skopeo's per-side flag terms (`--src-creds`,
 * `--src-registry-token`, `--src-no-creds`, `--authfile`, `--src-tls-verify`,
 * `--src-cert-dir`, `--retry-times`).
 */
export interface AccessOptions {
  /** `USER[:PASS]`; a missing password is an error here (the CLI prompts before). */
  creds?: string | undefined;
  /** Explicit username/password (library callers, sync configs). */
  username?: string | undefined;
  password?: string | undefined;
  /** A bearer token sent as is. */
  registryToken?: string | undefined;
  /** An OAuth2 refresh token traded for access tokens at the registry's token server. */
  identityToken?: string | undefined;
  /** Access anonymously even when auth files have credentials. */
  noCreds?: boolean | undefined;
  authFile?: string | undefined;
  tlsVerify?: boolean | undefined;
  certDir?: string | undefined;
  retry?: RetryPolicy | undefined;
  /** Connections (and so concurrent requests) per registry. */
  maxConnections?: number | undefined;
  /** Cap on requests started per second to this registry. */
  requestsPerSecond?: number | undefined;
  /** Cap on blob bytes per second to or from this registry; 0 or undefined: none. */
  bandwidth?: number | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** The Docker daemon for `docker-daemon:` references (`--src-daemon-host`), e.g. unix:///var/run/docker.sock. */
  daemonHost?: string | undefined;
}
