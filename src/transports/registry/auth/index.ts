/**
 * Registry authentication: auth files and credential helpers (where
 * credentials come from), challenges and scopes (what the registry asks
 * for), the bearer token flow and its cache, and redaction of secrets.
 */
export { authFileCandidates, primaryAuthFiles, resolveCredentials, type AuthFileLocationOptions, type ResolveCredentialsOptions } from './auth-file.ts';
export { login, logout, type LoginOptions, type LogoutOptions, type LogoutResult } from './login.ts';
export { authLookupKeys, DOCKER_HUB, normalizeAuthKey, normalizeRegistryHost, sameRegistry } from './auth-key.ts';
export { credentialHelperGet, type CredentialHelperOptions } from './credential-helper.ts';
export {
  basicAuthorization,
  credentialIdentity,
  describeCredentials,
  type BasicCredentials,
  type Credentials,
  type IdentityTokenCredentials,
  type RegistryTokenCredentials,
} from './credentials.ts';
export { bearerChallenge, findChallenge, parseChallenges, type BearerChallenge, type Challenge } from './challenge.ts';
export { formatScope, mergeScopes, mountScopes, parseScope, repositoryScope, scopesCover, type Scope } from './scope.ts';
export { fetchToken, type FetchTokenOptions, type Token, type TokenRequest } from './token.ts';
export { TokenCache, tokenCacheKey, type TokenCacheOptions } from './token-cache.ts';
export { REDACTED, redactHeaders, redactSecrets, redactUrl, type HeadersLike } from './redact.ts';
