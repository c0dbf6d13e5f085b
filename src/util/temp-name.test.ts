import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isFerryError } from '../errors.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { FOREIGN_TEMP_STALE_MS, isStaleTemp, isTempName, removeStaleTemps, tempName, tempOwnerState } from './temp-name.ts';

/** `<base>.ferry-tmp-<host>_<boot>_<pid>_<start>-<uuid><suffix>`, split so a test can forge other owners. */
function parts(name: string): { host: string; boot: string; pid: string; start: string; rest: string } {
  const m = /\.ferry-tmp-([a-z0-9-]+)_([0-9a-fx]+)_(\d+)_(\d+)(-.*)$/.exec(name);
  assert.ok(m, name);
  return { host: m[1]!, boot: m[2]!, pid: m[3]!, start: m[4]!, rest: m[5]! };
}

function forge(owner: Partial<ReturnType<typeof parts>>): string {
  const p = { ...parts(tempName('x')), ...owner };
  return `x.ferry-tmp-${p.host}_${p.boot}_${p.pid}_${p.start}${p.rest}`;
}

/** A process that runs until killed, and its pid. */
async function liveChild(): Promise<{ pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  return { pid: child.pid!, stop: async () => void (child.kill(), await once(child, 'exit')) };
}

test('this process’s temp names are temp names, alive, never stale', () => {
  const name = tempName('.index.json', '.part');
  assert.ok(name.startsWith('.index.json.ferry-tmp-') && name.endsWith('.part'), name);
  assert.equal(parts(name).pid, String(process.pid));
  assert.equal(isTempName(name), true);
  assert.equal(tempOwnerState(name), 'alive');
  assert.equal(isStaleTemp(name), false);
  assert.equal(tempOwnerState('index.json'), undefined);
  assert.equal(isStaleTemp('index.json'), false);
});

test('our own pid started at another time is a dead run (PID 1 of a restarted container)', () => {
  const mine = parts(tempName());
  if (mine.start === '0') return; // no /proc: start times unknown here
  assert.equal(tempOwnerState(forge({ start: String(Number(mine.start) + 1) })), 'gone');
});

test('a pid that exited is gone; a live one is alive unless its start time differs (a reused pid)', async () => {
  const child = await liveChild();
  try {
    const { start } = parts(tempName());
    if (start !== '0') {
      const ticks = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')[19]!;
      assert.equal(tempOwnerState(forge({ pid: String(child.pid), start: ticks })), 'alive');
      assert.equal(tempOwnerState(forge({ pid: String(child.pid), start: String(Number(ticks) + 7) })), 'gone');
    }
  } finally {
    await child.stop();
  }
  assert.equal(tempOwnerState(forge({ pid: String(child.pid) })), 'gone');
});

test('another boot of this host is gone; another host is foreign, stale only when untouched for a day', () => {
  const { boot } = parts(tempName());
  if (boot !== 'x') assert.equal(tempOwnerState(forge({ boot: boot === '00000000' ? '11111111' : '00000000' })), 'gone');
  const foreign = forge({ host: 'other-host' });
  assert.equal(tempOwnerState(foreign), 'foreign');
  assert.equal(isStaleTemp(foreign), false, 'without a time it cannot be judged');
  assert.equal(isStaleTemp(foreign, Date.now() - 60_000), false);
  assert.equal(isStaleTemp(foreign, Date.now() - FOREIGN_TEMP_STALE_MS - 60_000), true);
});

test('removeStaleTemps removes what dead writers left, nothing else', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-temp-'));
  const child = await liveChild();
  await child.stop();
  try {
    const mine = tempName('blob');
    const dead = forge({ pid: String(child.pid) });
    const legacyDead = `${child.pid}-0b5b0c1e-1d2f-4a3b-9c8d-7e6f5a4b3c2d`;
    const foreignFresh = forge({ host: 'other-host' });
    const foreignOld = forge({ host: 'third-host', rest: '-0b5b0c1e-1d2f-4a3b-9c8d-000000000000' });
    for (const name of [mine, dead, legacyDead, foreignFresh, foreignOld, 'index.json']) await writeFile(join(dir, name), 'x');
    const old = new Date(Date.now() - FOREIGN_TEMP_STALE_MS - 60_000);
    await utimes(join(dir, foreignOld), old, old);
    assert.equal(await removeStaleTemps(dir), 3);
    assert.deepEqual((await readdir(dir)).sort(), [foreignFresh, mine, 'index.json'].sort());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic replaces a file whole, keeps an asked mode, and leaves no temp file, also when it fails', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-atomic-'));
  try {
    const path = join(dir, 'auth.json');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, 'two', { mode: 0o600 });
    assert.equal(await readFile(path, 'utf8'), 'two');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    await assert.rejects(writeFileAtomic(join(dir, 'missing', 'x.json'), 'three'), (e) => isFerryError(e, 'IO') && e.message.includes('missing'));
    assert.deepEqual(await readdir(dir), ['auth.json']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
