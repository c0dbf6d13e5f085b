import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry } from './helpers/registry.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * Several `ferry login` processes writing one auth file at once (a real
 * registry with htpasswd checks each login): every entry survives, because
 * each read-modify-write holds the file's lock. Then logouts at once take
 * out exactly their own entries.
 */

const skip = requirePeer('docker-registry', 'htpasswd');

const USER = 'carol';
const PASSWORD = 'Pw-concurrent-login';
/** Logins per round, all started together; without the lock 3 at once lost entries in 2 of 12 rounds. */
const AT_ONCE = 6;
const ROUNDS = 2;

test('concurrent logins to one auth file keep every entry; concurrent logouts remove only their own', { skip }, async (t) => {
  const registry = await startRegistry({ htpasswd: { [USER]: PASSWORD }, t });
  const dir = await tempDir('login-concurrent', t);
  const authFile = join(dir, 'auth.json');
  const login = (key: string) => runFerry(['login', '--authfile', authFile, '--tls-verify=false', '-u', USER, '--password-stdin', key], { input: `${PASSWORD}\n` });
  // Keys with a namespace: one registry, a distinct entry per login.
  const keys: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const batch = Array.from({ length: AT_ONCE }, (_, i) => `${registry.host}/round${round}/ns${i}`);
    keys.push(...batch);
    const runs = await Promise.all(batch.map(login));
    for (const run of runs) assert.equal(run.code, 0, explain(run));
    const auths = Object.keys((JSON.parse(await readFile(authFile, 'utf8')) as { auths: Record<string, unknown> }).auths).sort();
    assert.deepEqual(auths, [...keys].sort(), `round ${round}: every login's entry is in the file`);
  }

  const leaving = keys.filter((_, i) => i % 2 === 0);
  const logouts = await Promise.all(leaving.map((key) => runFerry(['logout', '--authfile', authFile, key])));
  for (const run of logouts) assert.equal(run.code, 0, explain(run));
  const left = Object.keys((JSON.parse(await readFile(authFile, 'utf8')) as { auths: Record<string, unknown> }).auths).sort();
  assert.deepEqual(left, keys.filter((_, i) => i % 2 === 1).sort());
  assert.deepEqual((await readdir(dir)).sort(), ['auth.json'], 'no lock file is left behind');
});
