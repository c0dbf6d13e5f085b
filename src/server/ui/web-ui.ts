import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { ANNOTATION_SOURCE } from '../../oci/descriptor.ts';
import { parseManifest } from '../../oci/manifest.ts';
import type { RegistryBackend } from '../backend/registry-backend.ts';
import { RegistryError } from '../registry-error.ts';
import { attachmentTags } from './model/attachment-tags.ts';
import { MAX_CONFIG_BYTES, parseConfigView, readConfigBlob } from './model/image-config.ts';
import { storeListing } from './model/store-listing.ts';
import { TAG_SORTS, manifestTreeSize, tagPage, type TagSort } from './model/tag-rows.ts';
import { UiModel } from './model/ui-model.ts';
import { bundlesPage } from './pages/bundles-page.ts';
import { errorPage } from './pages/error-page.ts';
import { homePage } from './pages/home-page.ts';
import { imagePage, type ImageInput } from './pages/image-page.ts';
import type { RegistryAddress } from './pages/pull-commands.ts';
import { repositoryPage } from './pages/repository-page.ts';
import { pageShell, type PageContent } from './page-shell.ts';
import type { SignatureVerifier } from './signature-verifier.ts';
import { loadUiAssets, type UiAssets } from './ui-assets.ts';
import { matchUiRoute, type UiRoute } from './ui-paths.ts';

/** How long the home page waits for sizes still being counted before it answers with what is known. */
export const HOME_WAIT_MS = 150;
/** Repositories per home page: a page stays quick to render and to scroll however large the store. */
export const HOME_PAGE_SIZE = 500;
/** Tags per repository page: each row may read a manifest and a config the first time. */
export const TAG_PAGE_SIZE = 100;
/** Longest filter text taken (a repository name is at most 255 characters). */
const MAX_FILTER_LENGTH = 255;
/** Pages are built from the store and may hold authenticated content: never cached. Assets are versioned by hash: kept. */
const PAGE_CACHE = 'no-store';
const ASSET_CACHE = 'public, max-age=31536000, immutable';
/** Nothing but this server, ever: the browser enforces the air-gap rule too. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
/** A `Host` header usable in a command line: a DNS name or IP literal and a port. */
const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export interface WebUiOptions {
  backend: RegistryBackend;
  /** The server refuses writes: the pages say so (they offer no writes either way). */
  readOnly: boolean;
  /** The server speaks HTTPS (pull commands then need no TLS-off flag). */
  tls: boolean;
  /** Gives "verified" / "not verified" next to signatures; without it only presence is shown. */
  verifier?: SignatureVerifier | undefined;
}

/** One UI request, already authenticated and path-checked by the registry handler. */
export interface UiRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  head: boolean;
  signal: AbortSignal;
}

/** The web UI as the registry handler uses it. */
export interface WebUi {
  /** Answers a request for a UI path; throws RegistryError (or FerryError) for an error answer. */
  handle(request: UiRequest): Promise<void>;
  /** An error answer as an HTML page (the API answers JSON). */
  sendError(res: ServerResponse, error: RegistryError, head: boolean): void;
  /** Stops background counting. */
  close(): void;
}

function sendBody(res: ServerResponse, status: number, body: Buffer, head: boolean, headers: Record<string, string>): void {
  res.writeHead(status, { 'Content-Length': body.byteLength, 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(head ? undefined : body);
}

function pageNumber(url: URL): number {
  const n = Number(url.searchParams.get('page') ?? '1');
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

function registryAddress(req: IncomingMessage, tls: boolean): RegistryAddress {
  const host = req.headers.host ?? '';
  return { host: HOST_RE.test(host) ? host : 'REGISTRY_HOST', tls };
}

/**
 * Builds the web UI over a backend: server-rendered pages (complete without
 * JavaScript) for Home, Repository, Image and Bundles, plus the stylesheet,
 * script and icon they link. It only ever calls read verbs of the backend.
 */
export async function createWebUi(options: WebUiOptions): Promise<WebUi> {
  const assets: UiAssets = await loadUiAssets();
  const { backend } = options;
  const model = new UiModel(backend, options.verifier);
  const shell = { assets, readOnly: options.readOnly };

  const sendPage = (res: ServerResponse, status: number, page: PageContent, head: boolean, headers: Record<string, string> = {}): void => {
    sendBody(res, status, Buffer.from(pageShell(shell, page).text), head, {
      'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': PAGE_CACHE, 'Content-Security-Policy': CSP, 'Referrer-Policy': 'no-referrer', ...headers,
    });
  };

  const render = async (route: UiRoute, request: UiRequest): Promise<PageContent> => {
    const { url, signal, req } = request;
    switch (route.page) {
      case 'home': {
        const view = await model.views.current({ signal });
        // Whatever is counted by then is shown; the rest follows on reload (the script polls).
        await Promise.race([view.counted, delay(HOME_WAIT_MS, undefined, { signal })]);
        const records = backend.imports ? await backend.imports.list({ signal }) : undefined;
        return homePage({
          view, filter: (url.searchParams.get('q') ?? '').slice(0, MAX_FILTER_LENGTH), page: pageNumber(url), pageSize: HOME_PAGE_SIZE,
          lastImport: records?.[records.length - 1], keepsImports: records !== undefined, registry: registryAddress(req, options.tls).host,
        });
      }
      case 'repository': {
        const listing = await storeListing(backend, { signal });
        const repo = listing.repositories.get(route.name);
        const requested = url.searchParams.get('sort');
        const sort: TagSort = TAG_SORTS.includes(requested as TagSort) ? (requested as TagSort) : 'semver';
        const page = pageNumber(url);
        const tags = repo && (await tagPage(model, listing, route.name, sort, (page - 1) * TAG_PAGE_SIZE, TAG_PAGE_SIZE, signal));
        if (!repo || !tags) throw new RegistryError(404, 'NAME_UNKNOWN', `There is no repository ${route.name} in this store.`);
        return repositoryPage({ name: route.name, repo, tags, sort, page, pageSize: TAG_PAGE_SIZE, address: registryAddress(req, options.tls) });
      }
      case 'image':
        return imagePage(await imageInput(route.name, route.digest, request));
      case 'bundles':
        return bundlesPage(backend.imports ? await backend.imports.list({ signal }) : undefined);
      default:
        throw new RegistryError(404, 'NOT_FOUND', 'There is no such page.');
    }
  };

  const imageInput = async (name: string, digest: ImageInput['descriptor']['digest'], { signal, req }: UiRequest): Promise<ImageInput> => {
    const [stored, listing] = await Promise.all([backend.manifests.get(name, { digest }, { signal }), storeListing(backend, { signal })]);
    if (!stored) throw new RegistryError(404, 'MANIFEST_UNKNOWN', `The repository ${name} holds no manifest ${digest}.`);
    const parsed = parseManifest(stored.bytes, stored.descriptor.mediaType, `${name}@${digest}`);
    const facts = await model.facts.get(name, digest);
    const repo = listing.repositories.get(name);
    const tagged = [...(repo?.tags ?? [])].filter(([, d]) => d.digest === digest);
    const input: ImageInput = {
      name, descriptor: stored.descriptor, bytes: stored.bytes, parsed, kind: facts?.kind ?? 'artifact', artifactType: facts?.artifactType,
      totalSize: await manifestTreeSize(model, name, digest),
      tags: tagged.map(([tag]) => tag),
      source: tagged.map(([, d]) => d.annotations?.[ANNOTATION_SOURCE]).find((s) => s !== undefined),
      referrers: await backend.referrers.list(name, digest, { signal }),
      attachments: attachmentTags(digest).flatMap((a) => {
        const target = repo?.tags.get(a.tag);
        return target ? [{ ...a, digest: target.digest }] : [];
      }),
      address: registryAddress(req, options.tls),
    };
    if (parsed.kind === 'image' && facts?.kind === 'image') {
      const read = await readConfigBlob(backend, name, parsed.manifest.config, { maxBytes: MAX_CONFIG_BYTES, signal });
      if ('problem' in read) input.config = { problem: read.problem };
      else {
        const config = parseConfigView(read.bytes);
        input.config = 'problem' in config ? { bytes: read.bytes, problem: config.problem } : { bytes: read.bytes, config: config.config };
      }
    }
    if (input.referrers.length > 0 || input.attachments.length > 0) input.verdict = await model.verdict(listing.generation, { repository: name, tag: input.tags[0], digest });
    return input;
  };

  return {
    async handle(request) {
      const { req, res, head } = request;
      const method = req.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD') throw new RegistryError(405, 'UNSUPPORTED', 'The web UI only reads: nothing here can be changed.', { headers: { Allow: 'GET, HEAD' } });
      const route = matchUiRoute(request.url.pathname);
      if (route.page === 'asset') {
        const asset = assets.get(route.file);
        if (!asset) throw new RegistryError(404, 'NOT_FOUND', 'There is no such file.');
        const current = asset.href.endsWith(`?v=${request.url.searchParams.get('v') ?? ''}`);
        sendBody(res, 200, asset.body, head, { 'Content-Type': asset.contentType, 'Cache-Control': current ? ASSET_CACHE : 'no-cache' });
        return;
      }
      sendPage(res, 200, await render(route, request), head);
    },
    sendError(res, error, head) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = error.status >= 500 ? 'The server could not build this page; its log says why.' : error.message;
      sendPage(res, error.status, errorPage(error.status, message), head, error.headers);
    },
    close() {
      model.close();
    },
  };
}
