import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError } from '../errors.ts';
import type { ImageTarget, Repository } from '../repository/repository.ts';
import { attributeAccessFailure } from './access-failure.ts';

const target = (host: string, repository: string, tag: string): ImageTarget => ({
  repository: { display: `docker://${host}/${repository}` } as Repository,
  reference: tag,
  display: `docker://${host}/${repository}:${tag}`,
});
const ends = { source: target('src.example', 'team/app', 'v1'), destination: target('dst.example', 'mirror/app', 'v1') };
const refused = (url: string, code: 'UNAUTHORIZED' | 'DENIED' = 'UNAUTHORIZED') =>
  new FerryError(code, `sha256:abc: UNAUTHORIZED (HEAD ${url} → 401)`, { http: { method: 'HEAD', url, status: code === 'DENIED' ? 403 : 401 } });

test('a refusal is told by the repository of its request: the side, its flag and the image, not the blob', () => {
  const dst = attributeAccessFailure(refused('https://dst.example/v2/mirror/app/blobs/sha256:abc'), ends) as FerryError;
  assert.match(dst.message, /^docker:\/\/dst\.example\/mirror\/app:v1: the destination registry dst\.example refused the credentials \(HTTP 401\)$/);
  assert.match(dst.hint ?? '', /--dest-creds/);
  const src = attributeAccessFailure(refused('https://src.example/v2/team/app/manifests/v1'), ends) as FerryError;
  assert.match(src.message, /the source registry src\.example refused/);
  assert.match(src.hint ?? '', /--src-creds/);
  const denied = attributeAccessFailure(refused('https://dst.example/v2/mirror/app/blobs/uploads/', 'DENIED'), ends) as FerryError;
  assert.equal(denied.code, 'DENIED');
  assert.match(denied.hint ?? '', /lack push permission/);
});

test("Docker Hub's refusals come from its endpoint, registry-1.docker.io, and are still told apart", () => {
  const hub = { source: target('docker.io', 'library/nginx', '1.27'), destination: target('dst.example', 'mirror/nginx', '1.27') };
  const src = attributeAccessFailure(refused('https://registry-1.docker.io/v2/library/nginx/manifests/1.27'), hub) as FerryError;
  assert.match(src.message, /^docker:\/\/docker\.io\/library\/nginx:1\.27: the source registry docker\.io refused the credentials/);
  assert.match(src.hint ?? '', /--src-creds/);
});

test('a token server refusal is told by its scope: a push is the destination', () => {
  const token = attributeAccessFailure(refused('https://auth.example/token?service=r&scope=repository%3Amirror%2Fapp%3Apull%2Cpush'), ends) as FerryError;
  assert.match(token.message, /the destination registry/);
  const pull = attributeAccessFailure(refused('https://auth.example/token?scope=repository:team/app:pull'), ends) as FerryError;
  assert.match(pull.message, /the source registry/);
});

test('anything else passes through unchanged', () => {
  const network = new FerryError('NETWORK', 'reset');
  assert.equal(attributeAccessFailure(network, ends), network);
  const unknown = refused('https://elsewhere.example/v2/other/blobs/sha256:abc');
  assert.equal(attributeAccessFailure(unknown, ends), unknown);
});
