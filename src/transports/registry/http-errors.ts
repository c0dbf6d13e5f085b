import { FerryError, type ErrorCode, type HttpErrorDetails } from '../../errors.ts';
import { isRecord } from '../../util/json.ts';

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Alerts a server sends when it refuses the client's certificate (or the lack of one), as OpenSSL codes them. */
const CLIENT_CERT_ALERT = /^ERR_SSL_.*ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|ACCESS_DENIED)$/;

/** Verification failures that mean "no trusted CA issued this certificate" (Go: "certificate signed by unknown authority"). */
const UNKNOWN_AUTHORITY = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED',
]);

/** What a verification code means, in the words users search for. */
const TLS_WORDS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate is not valid for this host name',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
};

/** The first `code` along an error's cause chain that `wanted` accepts. */
function codeInChain(err: unknown, wanted: (code: string) => boolean): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && wanted(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorCodeOf(err: unknown): string | undefined {
  return codeInChain(err, (code) => TLS_CODES.has(code) || NETWORK_CODES.has(code) || CLIENT_CERT_ALERT.test(code));
}

/**
 * File-system failures that reach a request through its body (a local blob
 * being uploaded): they are ferry's side, not the network's, and a retry of
 * the request would read the same file again.
 */
const LOCAL_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'EIO', 'ENOSPC', 'EISDIR', 'ENOTDIR', 'EROFS', 'EBADF']);

/** `ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE` → `bad certificate`. */
function alertWords(code: string): string {
  return code.replace(/^.*ALERT_/, '').toLowerCase().replace(/_/g, ' ');
}

/** True when a connection error means the peer does not speak TLS (plain HTTP registry). */
export function isTlsProtocolError(err: unknown): boolean {
  const code = errorCodeOf(err);
  const text = String((err as Error)?.message ?? '') + String(((err as { cause?: Error })?.cause)?.message ?? '');
  return code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(text);
}

/** Maps a failure below HTTP (connect, TLS, reset) to a FerryError. */
export function transportError(err: unknown, details: HttpErrorDetails, tlsFlag: string, context: { clientCertificate?: boolean | undefined } = {}): FerryError {
  if (err instanceof FerryError) return err;
  const code = errorCodeOf(err);
  const what = `${details.method} ${details.url}`;
  if (isTlsProtocolError(err)) {
    return new FerryError('TLS', `${what}: the server does not speak TLS (a plain-HTTP registry?)`, {
      cause: err,
      http: details,
      hint: `allow plain HTTP for it with ${tlsFlag}=false`,
    });
  }
  if (code !== undefined && CLIENT_CERT_ALERT.test(code)) {
    const certDirFlag = tlsFlag.replace('tls-verify', 'cert-dir');
    const why = context.clientCertificate ? `TLS alert "${alertWords(code)}"` : `none was given and the registry requires one (TLS alert "${alertWords(code)}")`;
    return new FerryError('TLS', `${what}: the registry rejected the client certificate: ${why}`, {
      cause: err,
      http: details,
      hint: context.clientCertificate
        ? 'the registry does not accept this client certificate: check that it is issued by a CA the registry trusts, is a client certificate (extendedKeyUsage clientAuth) and has not expired'
        : `give a client certificate as client.cert + client.key in ${certDirFlag} DIR or in /etc/containers/certs.d/HOST`,
    });
  }
  if (code !== undefined && TLS_CODES.has(code)) {
    const words = UNKNOWN_AUTHORITY.has(code) ? 'certificate signed by unknown authority' : TLS_WORDS[code];
    return new FerryError('TLS', `TLS failure talking to ${what}: ${words !== undefined ? `${words} (${code})` : code}`, {
      cause: err,
      http: details,
      hint: `trust the registry's CA with ${tlsFlag.replace('tls-verify', 'cert-dir')} DIR (or a certs.d directory, or the system trust store: update-ca-certificates, SSL_CERT_FILE), or skip verification with ${tlsFlag}=false`,
    });
  }
  if (code !== undefined || (err as Error)?.name === 'SocketError') {
    const hint =
      code === 'ECONNREFUSED' ? 'nothing is listening there: check the registry address and port'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'the host name does not resolve: check the registry address'
      : undefined;
    return new FerryError('NETWORK', `network error on ${what}: ${code ?? (err as Error).message}`, { cause: err, http: details, retryable: true, hint });
  }
  if ((err as Error)?.name === 'AbortError') return new FerryError('ABORTED', 'operation cancelled', { cause: err });
  const local = codeInChain(err, (code) => LOCAL_CODES.has(code));
  if (local !== undefined) return new FerryError('IO', `${what}: reading the local content failed: ${(err as Error).message}`, { cause: err, http: details });
  return new FerryError('NETWORK', `request failed: ${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err, http: details, retryable: true });
}

/** Builds the error for a registry's non-success response from its status and (already read, bounded) body. */
export function responseError(status: number, bodyText: string, details: HttpErrorDetails, subject: string): FerryError {
  let ociCode: string | undefined;
  let ociMessage: string | undefined;
  try {
    const parsed: unknown = JSON.parse(bodyText);
    const errors = isRecord(parsed) ? parsed['errors'] : undefined;
    const first: unknown = Array.isArray(errors) ? errors[0] : undefined;
    if (isRecord(first)) {
      if (typeof first['code'] === 'string') ociCode = first['code'];
      if (typeof first['message'] === 'string') ociMessage = first['message'];
    }
  } catch {
    // Not JSON: many proxies answer with HTML; the status says enough.
  }
  const http: HttpErrorDetails = { ...details, status, ...(ociCode !== undefined ? { ociCode } : {}) };
  const said = ociCode !== undefined ? `${ociCode}${ociMessage ? `: ${ociMessage}` : ''}` : `HTTP ${status}`;
  let code: ErrorCode = 'REGISTRY';
  let retryable = false;
  let hint: string | undefined;
  if (status === 401) {
    code = 'UNAUTHORIZED';
    hint = 'check the credentials (--creds, --authfile, `ferry login`)';
  } else if (status === 403) {
    code = 'DENIED';
    hint = 'the credentials are valid but lack permission for this repository';
  } else if (status === 404 || ociCode === 'NAME_UNKNOWN' || ociCode === 'MANIFEST_UNKNOWN' || ociCode === 'BLOB_UNKNOWN') {
    code = 'NOT_FOUND';
  } else if (status === 429 || ociCode === 'TOOMANYREQUESTS') {
    code = 'TOO_MANY_REQUESTS';
    retryable = true;
  } else if (status >= 500) {
    retryable = true;
  } else if (ociCode === 'UNSUPPORTED' || status === 405) {
    code = 'UNSUPPORTED';
  } else if (ociCode === 'DIGEST_INVALID') {
    code = 'DIGEST_MISMATCH';
  }
  return new FerryError(code, `${subject}: ${said} (${details.method} ${details.url} → ${status})`, { http, retryable, hint });
}
