import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeRegistry, parseBandwidth, resolveRegistryOptions, splitRegistryPath, UNLIMITED_BANDWIDTH } from './registry-options.ts';
import type { RegistryEntry } from './sync-spec.ts';

test('bandwidth units; -1 is unlimited and a bare number needs a unit', () => {
  const table: [string | number, number | RegExp][] = [
    ['50MiB/s', 50 * 1024 * 1024],
    ['50 MiB/s', 50 * 1024 * 1024],
    ['1.5GB/s', 1.5e9],
    ['800Kbit/s', 100_000],
    ['100Mbit', 12_500_000],
    ['2048B/s', 2048],
    ['10kB/s', 10_000],
    ['-1', UNLIMITED_BANDWIDTH],
    [-1, UNLIMITED_BANDWIDTH],
    ['2048', /^2048 has no unit; write e\.g\. 2048Kbit\/s \(Harbor's bandwidth is in Kbps\)/],
    [4096, /^4096 has no unit/],
    ['fast', /not a rate/],
    ['0MiB/s', /more than 0/],
    ['5 parsecs', /not a rate/],
    ['-2', /has no unit/],
  ];
  for (const [input, expected] of table) {
    const got = parseBandwidth(input);
    if (typeof expected === 'number') assert.equal(got, expected, String(input));
    else assert.match(String(got), expected, String(input));
  }
});

test('registries and paths split and normalise like docker', () => {
  assert.deepEqual(splitRegistryPath('myreg.example.com/mirror/'), { registry: 'myreg.example.com', path: 'mirror' });
  assert.deepEqual(splitRegistryPath('localhost:5000'), { registry: 'localhost:5000', path: '' });
  assert.deepEqual(splitRegistryPath('index.docker.io/team'), { registry: 'docker.io', path: 'team' });
  assert.deepEqual(splitRegistryPath('registry.hub.docker.com'), { registry: 'docker.io', path: '' });
  assert.deepEqual(splitRegistryPath('myreg/mirror'), { registry: 'docker.io', path: 'myreg/mirror' });
  assert.match((splitRegistryPath('r.io/Upper') as { problem: string }).problem, /lowercase/);
  assert.match((splitRegistryPath('') as { problem: string }).problem, /empty/);
  assert.equal(normalizeRegistry('registry-1.docker.io'), 'docker.io');
  assert.match((normalizeRegistry('myregistry') as { problem: string }).problem, /not a registry host/);
});

test('options resolve from the broadest scope to the most specific, then the override', () => {
  const o = { file: 'f', line: 1 };
  const entries: RegistryEntry[] = [
    { scope: 'quay.io/coreos', options: { tlsVerify: false, maxConcurrency: 2 }, origin: o },
    { scope: 'quay.io', options: { tlsVerify: true, certDir: '/certs', maxConcurrency: 8 }, origin: o },
    { scope: 'docker.io', options: { bandwidth: 100 }, origin: o },
  ];
  assert.deepEqual(resolveRegistryOptions(entries, 'quay.io', 'coreos/etcd'), { tlsVerify: false, certDir: '/certs', maxConcurrency: 2 });
  assert.deepEqual(resolveRegistryOptions(entries, 'quay.io', 'coreosx/etcd'), { tlsVerify: true, certDir: '/certs', maxConcurrency: 8 });
  assert.deepEqual(resolveRegistryOptions(entries, 'quay.io', 'other/x', { maxConcurrency: 1, certDir: undefined }), { tlsVerify: true, certDir: '/certs', maxConcurrency: 1 });
  assert.deepEqual(resolveRegistryOptions(entries, 'ghcr.io', 'x'), {});
});
