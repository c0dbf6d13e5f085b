import assert from 'node:assert/strict';
import { test } from 'node:test';
import { currentPlatform, parsePlatform, platformMatches } from './platform.ts';

test('process.arch and process.platform map to the GOARCH/GOOS names OCI indexes use', () => {
  // Node's names on the left, what Go (and so skopeo and every index) calls them on the right.
  const table: Array<[string, string, string, string, string | undefined]> = [
    ['x64', 'linux', 'linux', 'amd64', undefined],
    ['arm64', 'linux', 'linux', 'arm64', undefined],
    ['arm', 'linux', 'linux', 'arm', 'v7'],
    ['ia32', 'linux', 'linux', '386', undefined],
    ['ppc64', 'linux', 'linux', 'ppc64le', undefined],
    ['s390x', 'linux', 'linux', 's390x', undefined],
    ['riscv64', 'linux', 'linux', 'riscv64', undefined],
    ['loong64', 'linux', 'linux', 'loong64', undefined],
    ['mipsel', 'linux', 'linux', 'mipsle', undefined],
    ['x64', 'win32', 'windows', 'amd64', undefined],
    ['arm64', 'darwin', 'darwin', 'arm64', undefined],
    ['x64', 'freebsd', 'freebsd', 'amd64', undefined],
  ];
  for (const [arch, platform, os, architecture, variant] of table) {
    assert.deepEqual(currentPlatform(arch, platform), variant === undefined ? { os, architecture } : { os, architecture, variant }, `${platform}/${arch}`);
  }
  assert.deepEqual(currentPlatform(), currentPlatform(process.arch, process.platform), 'the defaults are this process');
});

test('arm64 matches an entry that says arm64/v8; a variant asked for must match', () => {
  assert.ok(platformMatches({ os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'arm64' }));
  assert.ok(platformMatches({ os: 'linux', architecture: 'arm64' }, parsePlatform('linux/arm64/v8')));
  assert.ok(!platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, currentPlatform('arm', 'linux')));
  assert.ok(!platformMatches({ os: 'windows', architecture: 'amd64' }, currentPlatform('x64', 'linux')));
});
