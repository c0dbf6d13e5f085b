import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { trackDir, untrackDir } from './cleanup.ts';

/**
 * A Bearer token server (distribution token protocol) that Debian's
 * docker-registry 2.8 accepts with `auth: token: {realm, service, issuer,
 * rootcertbundle: certPath}`. It signs JWTs with a fresh key whose
 * self-signed certificate (made by openssl) travels in the `x5c` header, so
 * the registry trusts the token through its root bundle. It checks Basic
 * credentials against a user table, answers OAuth2 POSTs (password and
 * refresh_token grants), and records every request for assertions.
 */

/** Long enough for any test; the registry allows 60 s of clock skew besides. */
const DEFAULT_EXPIRES_IN_S = 300;
/** Form bodies of token requests are tiny. */
const MAX_BODY = 64 * 1024;

const execFileAsync = promisify(execFile);

export interface RequestedScope {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenServerOptions {
  /** User name → password accepted in Basic auth and the password grant. */
  users: Record<string, string>;
  /** The registry's `auth.token.issuer`. */
  issuer: string;
  /** The registry's `auth.token.service`; the JWT audience. */
  service: string;
  /** Signing key type (default ec: P-256, ES256). */
  keyType?: 'ec' | 'rsa';
  /** Actions granted for a requested scope; default: everything asked to any authenticated user, nothing to anonymous. */
  grant?: (account: string | undefined, scope: RequestedScope) => string[];
  /** `expires_in` of issued tokens. */
  expiresIn?: number;
  /** Answer OAuth2 POSTs (default true); false makes POST answer 404, like registries without OAuth2. */
  oauth?: boolean;
  /** Refresh tokens accepted up front: token → user name. */
  refreshTokens?: Record<string, string>;
}

/** One request as the server saw it: never a password or token. */
export interface TokenServerRequest {
  method: string;
  service: string | undefined;
  /** Scope strings as received (one entry per scope). */
  scopes: string[];
  /** `account` query parameter or form field. */
  account: string | undefined;
  /** The authenticated user; undefined when anonymous or rejected. */
  user: string | undefined;
  grantType: string | undefined;
  /** Whether the client sent any credentials (Basic header or form secret). */
  sentCredentials: boolean;
  status: number;
}

export interface TokenServer {
  /** `http://127.0.0.1:PORT/token`: the registry's `auth.token.realm`. */
  realm: string;
  /** PEM certificate of the signing key: the registry's `auth.token.rootcertbundle`. */
  certPath: string;
  issuer: string;
  service: string;
  requests: TokenServerRequest[];
  /** Refresh tokens issued (or preset): token → user. */
  refreshTokens: Map<string, string>;
  stop(): Promise<void>;
}

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-token-server-'));
  trackDir(dir);
  const keyType = options.keyType ?? 'ec';
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const newKey = keyType === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'] : ['-newkey', 'rsa:2048'];
  await execFileAsync('openssl', ['req', '-x509', ...newKey, '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=ferry test token issuer'], {
    timeout: 60_000,
  });
  const key = createPrivateKey(await readFile(keyPath));
  const certDer = new X509Certificate(await readFile(certPath)).raw.toString('base64');
  const refreshTokens = new Map(Object.entries(options.refreshTokens ?? {}));
  const requests: TokenServerRequest[] = [];
  const signer: Signer = { key, alg: keyType === 'ec' ? 'ES256' : 'RS256', x5c: [certDer] };

  const server = createServer((req, res) => {
    handle(req, res, options, signer, refreshTokens, requests).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    certPath,
    issuer: options.issuer,
    service: options.service,
    requests,
    refreshTokens,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
      untrackDir(dir);
    },
  };
}

interface Signer {
  key: KeyObject;
  alg: 'ES256' | 'RS256';
  x5c: string[];
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: TokenServerOptions,
  signer: Signer,
  refreshTokens: Map<string, string>,
  requests: TokenServerRequest[],
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const record: TokenServerRequest = {
    method: req.method ?? '',
    service: undefined,
    scopes: [],
    account: undefined,
    user: undefined,
    grantType: undefined,
    sentCredentials: false,
    status: 0,
  };
  requests.push(record);
  const reply = (status: number, body: unknown): void => {
    record.status = status;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.pathname !== '/token') return reply(404, { errors: [{ code: 'NOT_FOUND', message: 'no such endpoint' }] });

  let params: URLSearchParams;
  let offline = false;
  if (req.method === 'GET') {
    params = url.searchParams;
  } else if (req.method === 'POST') {
    if (options.oauth === false) return reply(404, { errors: [{ code: 'NOT_FOUND', message: 'OAuth2 is not offered' }] });
    params = new URLSearchParams(await readBody(req));
    record.grantType = params.get('grant_type') ?? undefined;
    offline = params.get('access_type') === 'offline';
  } else {
    return reply(405, { errors: [{ code: 'UNSUPPORTED', message: 'GET or POST' }] });
  }
  record.service = params.get('service') ?? undefined;
  record.account = params.get('account') ?? params.get('username') ?? undefined;
  // GET repeats `scope`; the OAuth2 form joins scopes with spaces.
  record.scopes = params.getAll('scope').flatMap((s) => s.split(' ')).filter((s) => s !== '');

  const auth = authenticate(req, params, options, refreshTokens, record);
  if (auth === 'rejected') {
    return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] });
  }
  if (record.service !== options.service) {
    return reply(400, { errors: [{ code: 'INVALID_REQUEST', message: `unknown service "${record.service ?? ''}"` }] });
  }
  record.user = auth;
  const grant = options.grant ?? ((user: string | undefined, scope: RequestedScope) => (user === undefined ? [] : scope.actions));
  const access = record.scopes.map(parseScope).flatMap((scope) => {
    if (scope === undefined) return [];
    const actions = grant(auth, scope).filter((a) => scope.actions.includes(a) || scope.actions.includes('*'));
    return actions.length === 0 ? [] : [{ type: scope.type, name: scope.name, actions }];
  });
  const expiresIn = options.expiresIn ?? DEFAULT_EXPIRES_IN_S;
  const now = Math.floor(Date.now() / 1000);
  const token = signJwt(signer, {
    iss: options.issuer,
    sub: auth ?? '',
    aud: options.service,
    exp: now + expiresIn,
    nbf: now - 5,
    iat: now,
    jti: randomBytes(12).toString('hex'),
    access,
  });
  const body: Record<string, unknown> = { token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() };
  if (req.method === 'POST' && auth !== undefined && (offline || record.grantType === 'refresh_token')) {
    const refresh = randomBytes(18).toString('base64url');
    refreshTokens.set(refresh, auth);
    body.refresh_token = refresh;
  }
  return reply(200, body);
}

/** The authenticated user, undefined for anonymous, 'rejected' for wrong credentials. */
function authenticate(
  req: IncomingMessage,
  params: URLSearchParams,
  options: TokenServerOptions,
  refreshTokens: Map<string, string>,
  record: TokenServerRequest,
): string | undefined | 'rejected' {
  const header = req.headers.authorization;
  if (header !== undefined && /^basic /i.test(header)) {
    record.sentCredentials = true;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return 'rejected';
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    if (Object.hasOwn(options.users, user) && options.users[user] === password) return user;
    // An identity token sent as a Basic password (the GET fallback of the refresh_token flow).
    const owner = refreshTokens.get(password);
    if (owner !== undefined && (user === owner || user === '<token>')) return owner;
    return 'rejected';
  }
  const grantType = params.get('grant_type');
  if (grantType === 'password') {
    record.sentCredentials = true;
    const user = params.get('username') ?? '';
    return Object.hasOwn(options.users, user) && options.users[user] === params.get('password') ? user : 'rejected';
  }
  if (grantType === 'refresh_token') {
    record.sentCredentials = true;
    return refreshTokens.get(params.get('refresh_token') ?? '') ?? 'rejected';
  }
  return undefined;
}

function parseScope(text: string): RequestedScope | undefined {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  return { type: text.slice(0, first), name: text.slice(first + 1, last), actions: text.slice(last + 1).split(',').filter(Boolean) };
}

function signJwt(signer: Signer, claims: Record<string, unknown>): string {
  const header = { typ: 'JWT', alg: signer.alg, x5c: signer.x5c };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  // JWS wants ECDSA signatures as r||s, not DER.
  const signature =
    signer.alg === 'ES256' ? sign('sha256', Buffer.from(input), { key: signer.key, dsaEncoding: 'ieee-p1363' }) : sign('sha256', Buffer.from(input), signer.key);
  return `${input}.${signature.toString('base64url')}`;
}

function b64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('token request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
