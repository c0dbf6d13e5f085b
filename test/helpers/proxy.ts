import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { pipeline } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A streaming HTTP reverse proxy in front of a registry, for tests that count
 * traffic or inject faults. It serves plain HTTP on 127.0.0.1 and forwards to
 * `upstream` (http or https), rewriting `Location` headers that point at the
 * upstream so clients keep talking through the proxy.
 */

/** What a registry request does, from its path (the query string ignored). */
export type RequestKind = 'base' | 'catalog' | 'upload' | 'upload-session' | 'blob' | 'manifest' | 'tags' | 'referrers' | 'other';

const KINDS: Array<[RegExp, RequestKind]> = [
  [/^\/v2\/?$/, 'base'],
  [/^\/v2\/_catalog$/, 'catalog'],
  [/^\/v2\/.+\/blobs\/uploads\/?$/, 'upload'],
  [/^\/v2\/.+\/blobs\/uploads\/[^/]+$/, 'upload-session'],
  [/^\/v2\/.+\/blobs\/[^/]+$/, 'blob'],
  [/^\/v2\/.+\/manifests\/[^/]+$/, 'manifest'],
  [/^\/v2\/.+\/tags\/list$/, 'tags'],
  [/^\/v2\/.+\/referrers\/[^/]+$/, 'referrers'],
];

export function requestKind(path: string): RequestKind {
  const pathname = path.split('?')[0] ?? path;
  return KINDS.find(([re]) => re.test(pathname))?.[1] ?? 'other';
}

/** Which requests a fault applies to; every given field must match. */
export interface ProxyMatch {
  method?: string;
  kind?: RequestKind;
  /** Substring of, or pattern for, the path with its query. */
  path?: string | RegExp;
}

interface FaultBase {
  /** How many matching requests the fault hits (default 1; Infinity for all). */
  times?: number;
  match?: ProxyMatch;
}

/**
 * A fault to inject. `status` answers without asking the upstream (429 gets
 * `Retry-After: 1` unless `retryAfter` says otherwise; null omits it; `headers`
 * are added, e.g. a `WWW-Authenticate` challenge or `RateLimit-*`). `cut`
 * forwards `afterBytes` of the response body, then destroys the connection.
 * `corrupt` flips the byte at `offset` (default 0) of the response body.
 * `delay` waits before forwarding and combines with one other fault. `cut` and
 * `corrupt` match `GET blob` unless `match` says otherwise.
 */
export type FaultRule =
  | (FaultBase & { type: 'status'; status: number; retryAfter?: string | null; headers?: Record<string, string> })
  | (FaultBase & { type: 'cut'; afterBytes: number })
  | (FaultBase & { type: 'corrupt'; offset?: number })
  | (FaultBase & { type: 'delay'; ms: number });

/** A live view of an installed fault. */
export interface FaultHandle {
  readonly rule: FaultRule;
  /** Requests it has hit so far. */
  hits: number;
  remaining: number;
}

export interface ProxyLogEntry {
  /** Arrival order, from 0 (the log itself is in completion order). */
  seq: number;
  /** Milliseconds since the proxy started, when the request arrived and when its response ended. */
  startedAt: number;
  finishedAt: number;
  method: string;
  path: string;
  kind: RequestKind;
  /** Status sent to the client; 0 when the connection was cut before headers. */
  status: number;
  /** Request body bytes from the client. */
  bytesIn: number;
  /** Response body bytes forwarded to the client. */
  bytesOut: number;
  fault?: FaultRule['type'] | 'gate';
}

/** Body bytes as they passed through, for rates over time: `in` from clients (uploads), `out` to clients (downloads). */
export interface TrafficSample {
  /** Milliseconds since the proxy started. */
  at: number;
  direction: 'in' | 'out';
  bytes: number;
  kind: RequestKind;
}

export interface GateOptions {
  match?: ProxyMatch;
  /** Matching requests it holds, at most (default: all). */
  times?: number;
  /** Opens by itself once this many requests are held. */
  openAt?: number;
}

/** Requests held until the test opens the gate: an explicit "now" instead of a delay that must outlast other work. */
export interface ProxyGate {
  /** Requests it has held so far. */
  hits: number;
  /** Resolves when the first matching request is being held. */
  reached: Promise<void>;
  /** Lets held requests (and later matching ones) through. */
  open(): void;
}

export interface ProxyStats {
  /** Requests per `METHOD kind`, e.g. `GET blob`, `PATCH upload-session`, `HEAD manifest`. */
  requests: Record<string, number>;
  /** Request body bytes received from clients per `METHOD kind` (uploads). */
  bytesIn: Record<string, number>;
  /** Response body bytes sent to clients per `METHOD kind` (downloads). */
  bytesOut: Record<string, number>;
  /** Every finished request, in completion order. */
  log: ProxyLogEntry[];
  /** Faults injected so far. */
  faults: number;
  /** Body bytes over time, one sample per chunk. */
  traffic: TrafficSample[];
  /** Most requests in flight at once (arrived, response not yet ended). */
  maxInFlight: number;
  /** Most client connections open at once. */
  maxConnections: number;
}

export interface ProxyOptions {
  /** `http://127.0.0.1:PORT` or `https://…`. */
  upstream: string;
  /** TLS options for an https upstream (CA, client certificate). */
  upstreamTls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean };
}

export interface RunningProxy {
  /** `127.0.0.1:PORT`. */
  host: string;
  port: number;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  stats: ProxyStats;
  /** Requests counted for one `METHOD kind` key. */
  count(key: string): number;
  /** Blob bytes clients pushed: request bodies of POST/PATCH/PUT to upload URLs. */
  uploadedBytes(): number;
  /** Blob bytes clients pulled: response bodies of `GET blob`. */
  downloadedBytes(): number;
  addFault(rule: FaultRule): FaultHandle;
  /**
   * Holds matching requests (default: every one, without limit) until
   * `open()`, or until `openAt` of them are held at once (a state only
   * enough concurrency reaches).
   */
  addGate(options?: GateOptions): ProxyGate;
  /** Clears stats and removes every fault; open gates are opened. */
  reset(): void;
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

function copyHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function matches(rule: FaultRule, method: string, path: string, kind: RequestKind): boolean {
  const bodyFault = rule.type === 'cut' || rule.type === 'corrupt';
  return matchesRequest(rule.match ?? (bodyFault ? { method: 'GET', kind: 'blob' as const } : {}), method, path, kind);
}

function matchesRequest(m: ProxyMatch, method: string, path: string, kind: RequestKind): boolean {
  if (m.method !== undefined && m.method.toUpperCase() !== method) return false;
  if (m.kind !== undefined && m.kind !== kind) return false;
  if (m.path !== undefined && !(typeof m.path === 'string' ? path.includes(m.path) : m.path.test(path))) return false;
  return true;
}

function emptyStats(): ProxyStats {
  return { requests: {}, bytesIn: {}, bytesOut: {}, log: [], faults: 0, traffic: [], maxInFlight: 0, maxConnections: 0 };
}

interface GateState {
  gate: ProxyGate;
  match: ProxyMatch;
  remaining: number;
  opened: Promise<void>;
  reach: () => void;
}

function makeGate(options: GateOptions): GateState {
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const opened = new Promise<void>((resolve) => (release = resolve));
  const gate: ProxyGate = { hits: 0, reached, open: () => release() };
  const openAt = options.openAt;
  const reachOnce = (): void => {
    reach();
    if (openAt !== undefined && gate.hits >= openAt) release();
  };
  return { gate, match: options.match ?? {}, remaining: options.times ?? Infinity, opened, reach: reachOnce };
}

function add(record: Record<string, number>, key: string, n: number): void {
  record[key] = (record[key] ?? 0) + n;
}

/** Starts the proxy on a port of 127.0.0.1 chosen by the kernel. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const upstream = new URL(options.upstream);
  const upstreamOrigin = upstream.origin;
  const secure = upstream.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true, ...options.upstreamTls }) : new HttpAgent({ keepAlive: true });
  const send = secure ? httpsRequest : httpRequest;
  let faults: FaultHandle[] = [];
  let gates: GateState[] = [];
  const proxy = { stats: emptyStats(), origin: '' };
  const epoch = performance.now();
  const now = (): number => performance.now() - epoch;
  let seq = 0;
  let inFlight = 0;
  let connections = 0;
  // Ends the waits of delay faults when the proxy stops, so a long delay never outlives its test.
  const stopping = new AbortController();

  const take = (method: string, path: string, kind: RequestKind): FaultHandle[] => {
    const hit: FaultHandle[] = [];
    for (const f of faults) {
      if (f.remaining <= 0 || !matches(f.rule, method, path, kind)) continue;
      if (f.rule.type !== 'delay' && hit.some((h) => h.rule.type !== 'delay')) continue;
      f.remaining--;
      f.hits++;
      proxy.stats.faults++;
      hit.push(f);
    }
    return hit;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = req.url ?? '/';
    const kind = requestKind(path);
    const key = `${method} ${kind}`;
    const stats = proxy.stats; // reset() swaps the object; a request counts where it started
    add(stats.requests, key, 1);
    const entry: ProxyLogEntry = { seq: seq++, startedAt: now(), finishedAt: 0, method, path, kind, status: 0, bytesIn: 0, bytesOut: 0 };
    inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      inFlight--;
      entry.finishedAt = now();
      add(stats.bytesIn, key, entry.bytesIn);
      add(stats.bytesOut, key, entry.bytesOut);
      stats.log.push(entry);
    };
    // A client that gives up while held (gate, delay) still ends the entry.
    res.once('close', finish);
    const sample = (direction: 'in' | 'out', bytes: number): void => void stats.traffic.push({ at: now(), direction, bytes, kind });
    req.on('data', (chunk: Buffer) => {
      entry.bytesIn += chunk.length;
      sample('in', chunk.length);
    });

    const hit = take(method, path, kind);
    const delay = hit.filter((h) => h.rule.type === 'delay').reduce((ms, h) => ms + (h.rule.type === 'delay' ? h.rule.ms : 0), 0);
    const fault = hit.find((h) => h.rule.type !== 'delay')?.rule;
    if (fault) entry.fault = fault.type;
    else if (delay > 0) entry.fault = 'delay';
    if (delay > 0) {
      req.pause();
      await sleep(delay, undefined, { signal: stopping.signal }).catch(() => undefined);
      if (stopping.signal.aborted) return;
    }
    const gate = gates.find((g) => g.remaining > 0 && matchesRequest(g.match, method, path, kind));
    if (gate) {
      gate.remaining--;
      gate.gate.hits++;
      entry.fault ??= 'gate';
      req.pause();
      gate.reach();
      await gate.opened;
    }

    if (fault?.type === 'status') {
      const retryAfter = fault.retryAfter === undefined ? (fault.status === 429 ? '1' : null) : fault.retryAfter;
      const code = fault.status === 429 ? 'TOOMANYREQUESTS' : fault.status >= 500 ? 'UNAVAILABLE' : 'DENIED';
      const body = JSON.stringify({ errors: [{ code, message: `injected ${fault.status} by the test proxy` }] });
      entry.status = fault.status;
      req.resume(); // drain an upload body so the connection stays usable
      res.writeHead(fault.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        ...(retryAfter !== null ? { 'retry-after': retryAfter } : {}),
        ...fault.headers,
      });
      res.end(method === 'HEAD' ? undefined : body, finish);
      return;
    }

    const headers = copyHeaders(req.headers);
    headers['host'] = upstream.host;
    const upstreamReq = send(new URL(path, upstreamOrigin), { method, headers, agent });
    upstreamReq.on('response', (upRes) => {
      const out = copyHeaders(upRes.headers);
      const location = upRes.headers.location;
      if (location?.startsWith(upstreamOrigin)) out['location'] = proxy.origin + location.slice(upstreamOrigin.length);
      entry.status = upRes.statusCode ?? 0;
      res.writeHead(entry.status, upRes.statusMessage, out);
      const cutAt = fault?.type === 'cut' ? fault.afterBytes : undefined;
      const corruptAt = fault?.type === 'corrupt' ? (fault.offset ?? 0) : undefined;
      const socket: Socket = req.socket;
      let offset = 0;
      upRes.on('data', (chunk: Buffer) => {
        if (corruptAt !== undefined && corruptAt >= offset && corruptAt < offset + chunk.length) chunk[corruptAt - offset]! ^= 0xff;
        if (cutAt !== undefined && offset + chunk.length >= cutAt) {
          const head = chunk.subarray(0, cutAt - offset);
          entry.bytesOut += head.length;
          sample('out', head.length);
          upRes.destroy();
          // Let the bytes before the cut reach the kernel, then drop the connection mid-body.
          res.write(head, () => socket.destroy());
          return;
        }
        offset += chunk.length;
        entry.bytesOut += chunk.length;
        sample('out', chunk.length);
        if (!res.write(chunk)) {
          upRes.pause();
          res.once('drain', () => upRes.resume());
        }
      });
      upRes.on('end', () => res.end());
      upRes.on('error', () => res.destroy());
    });
    upstreamReq.on('error', (err) => {
      if (!res.headersSent) {
        entry.status = 502;
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`test proxy: upstream ${upstreamOrigin} failed: ${err.message}`);
      } else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
      finish();
    });
    pipeline(req, upstreamReq, () => undefined);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  });
  server.on('connection', (socket: Socket) => {
    connections++;
    proxy.stats.maxConnections = Math.max(proxy.stats.maxConnections, connections);
    socket.once('close', () => connections--);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  proxy.origin = `http://127.0.0.1:${port}`;
  const sum = (record: Record<string, number>, keys: string[]): number => keys.reduce((n, k) => n + (record[k] ?? 0), 0);

  return {
    host: `127.0.0.1:${port}`,
    port,
    url: proxy.origin,
    get stats() {
      return proxy.stats;
    },
    count: (key) => proxy.stats.requests[key] ?? 0,
    uploadedBytes: () => sum(proxy.stats.bytesIn, ['POST upload', 'PATCH upload-session', 'PUT upload-session']),
    downloadedBytes: () => proxy.stats.bytesOut['GET blob'] ?? 0,
    addFault(rule) {
      const handleObj: FaultHandle = { rule, hits: 0, remaining: rule.times ?? 1 };
      faults.push(handleObj);
      return handleObj;
    },
    addGate(options = {}) {
      const state = makeGate(options);
      gates.push(state);
      return state.gate;
    },
    reset() {
      proxy.stats = emptyStats();
      faults = [];
      for (const g of gates) g.gate.open();
      gates = [];
    },
    async stop() {
      stopping.abort();
      for (const g of gates) g.gate.open();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}
